/**
 * IPFIX over UDP to one collector (RFC 7011 §10.3). Finished flows are encoded as they arrive and leave in
 * full messages, plus whatever is pending once a second and at the end, so a packet never waits on the
 * network. A collector that is down (ECONNREFUSED) or a full socket buffer costs the datagram, never the
 * run: failed sends are counted and reported.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { NtaError } from '../../core/errors.js';
import { formatHostPort, type HostPort } from '../../core/host-port.js';
import type { ConnLog } from '../../schema/conn.js';
import { IpfixEncoder, type IpfixEncoderOptions } from './encoder.js';
import { IpfixFlow, toIpfixFlow } from './flow-record.js';

/** Pending records leave at least this often (a quiet live capture still exports its flows). */
export const IPFIX_FLUSH_MS = 1000;

export interface IpfixExportStats {
  /** The collector, as HOST:PORT. */
  readonly collector: string;
  /** Flow records in messages the socket accepted (handed to the network, not known to be received). */
  readonly flows: number;
  readonly messages: number;
  /**
   * Datagrams the socket refused, plus refusals it reported afterwards (ICMP port unreachable: nothing
   * listens at the collector). Either way flows were lost; UDP gives no other sign of loss.
   */
  readonly sendErrors: number;
  /** Flows not exported because an address was unreadable. */
  readonly skipped: number;
}

export class IpfixExporter {
  readonly #socket: Socket;
  readonly #collector: string;
  readonly #encoder: IpfixEncoder;
  readonly #flow = new IpfixFlow();
  readonly #timer: NodeJS.Timeout;
  #flows = 0;
  #messages = 0;
  #sendErrors = 0;
  #skipped = 0;
  #inFlight = 0;
  #drained: (() => void) | null = null;
  #closed: Promise<IpfixExportStats> | null = null;

  private constructor(socket: Socket, collector: string, opts: IpfixEncoderOptions) {
    this.#socket = socket;
    this.#collector = collector;
    this.#encoder = new IpfixEncoder((m, records) => this.#send(m, records), opts);
    this.#timer = setInterval(() => this.#encoder.flush(), IPFIX_FLUSH_MS);
    this.#timer.unref();
  }

  /** Resolves the collector and connects a UDP socket to it (a name that does not resolve is an error). */
  static async open(target: HostPort, opts: IpfixEncoderOptions = {}): Promise<IpfixExporter> {
    let address: string;
    let family: number;
    try {
      ({ address, family } = await lookup(target.host));
    } catch (err) {
      throw new NtaError('NTA_ERR_USAGE', `--ipfix: cannot resolve ${target.host}`, { cause: err });
    }
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(target.port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      socket.close();
      throw new NtaError('NTA_ERR_IO', `--ipfix: cannot reach ${formatHostPort(target)}`, { cause: err });
    });
    const exporter = new IpfixExporter(socket, formatHostPort(target), opts);
    // Errors the socket reports outside a send (ICMP port unreachable on Linux) count as failed sends.
    socket.on('error', () => exporter.#sendErrors++);
    return exporter;
  }

  /** For the pipeline's onFlow: encode now, send when a message is full. */
  readonly add = (log: ConnLog): void => {
    if (toIpfixFlow(log, this.#flow)) this.#encoder.add(this.#flow);
    else this.#skipped++;
  };

  /** Sends what is pending, waits for every send to finish and closes the socket; once. */
  close(): Promise<IpfixExportStats> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<IpfixExportStats> {
    clearInterval(this.#timer);
    this.#encoder.flush();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await new Promise<void>((resolve) => this.#socket.close(resolve));
    return this.stats;
  }

  get stats(): IpfixExportStats {
    return {
      collector: this.#collector,
      flows: this.#flows,
      messages: this.#messages,
      sendErrors: this.#sendErrors,
      skipped: this.#skipped,
    };
  }

  #send(message: Uint8Array, records: number): void {
    this.#inFlight++;
    this.#socket.send(message, (err) => {
      if (err === null || err === undefined) {
        this.#messages++;
        this.#flows += records;
      } else {
        this.#sendErrors++;
      }
      if (--this.#inFlight === 0) this.#drained?.();
    });
  }
}
