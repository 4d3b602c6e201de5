/**
 * Syslog over UDP (RFC 5426: one message per datagram) or TCP (RFC 6587 octet counting: `LENGTH SP MSG`).
 * The TCP connection is made when the first message leaves and made again after it breaks; a message is
 * sent when the socket took it (syslog has no acknowledgement).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, type Socket } from 'node:net';
import { formatHostPort } from '../core/host-port.js';
import type { SyslogTarget } from '../core/output-targets.js';
import type { Transport } from './delivery-queue.js';

/** A connection attempt waits this long at most. */
const CONNECT_TIMEOUT_MS = 5000;

export const syslogTargetText = (t: SyslogTarget): string => `${t.transport}://${formatHostPort(t)}`;

export function syslogTransport(t: SyslogTarget): Transport {
  return t.transport === 'udp' ? udpTransport(t) : tcpTransport(t);
}

function udpTransport(t: SyslogTarget): Transport {
  let socket: UdpSocket | null = null;
  return {
    target: syslogTargetText(t),
    send(message) {
      socket ??= createSocket(isIP(t.host) === 6 ? 'udp6' : 'udp4').on('error', () => {});
      const s = socket;
      return new Promise((resolve, reject) => {
        s.send(message, t.port, t.host, (err) => (err === null ? resolve() : reject(err)));
      });
    },
    close() {
      socket?.close();
      socket = null;
    },
  };
}

function tcpTransport(t: SyslogTarget): Transport {
  let socket: Socket | null = null;
  let ready: Promise<Socket> | null = null;
  const drop = (s: Socket): void => {
    s.destroy();
    if (socket === s) {
      socket = null;
      ready = null;
    }
  };
  const open = (signal: AbortSignal): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: t.host, port: t.port, timeout: CONNECT_TIMEOUT_MS });
      socket = s;
      const fail = (err: Error): void => {
        signal.removeEventListener('abort', onAbort);
        drop(s);
        reject(err);
      };
      const onAbort = (): void => fail(new Error('aborted'));
      // Errors after the connection is made (the receiver went away) show on the next write, which renews it.
      s.on('error', () => drop(s));
      s.on('close', () => drop(s));
      s.once('error', fail);
      s.once('timeout', () => fail(new Error('connection timed out')));
      signal.addEventListener('abort', onAbort, { once: true });
      s.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        s.setTimeout(0);
        s.off('error', fail);
        resolve(s);
      });
    });
  return {
    target: syslogTargetText(t),
    async send(message, signal) {
      ready ??= open(signal);
      const s = await ready;
      const frame = `${Buffer.byteLength(message)} ${message}`;
      await new Promise<void>((resolve, reject) => {
        s.write(frame, (err) => {
          if (err === null || err === undefined) resolve();
          else {
            drop(s);
            reject(err);
          }
        });
      });
    },
    close() {
      socket?.end();
      socket = null;
      ready = null;
    },
  };
}
