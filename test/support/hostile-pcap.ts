/**
 * A crafted capture whose attacker-controlled strings are HTML and script: for each payload, a DNS query
 * and its answer (the query name and a CNAME), an HTTP request (Host, User-Agent, the URI and, where it
 * can be one, a Basic Authorization user name) with its response, and a TLS ClientHello (SNI). Frames are built with
 * src/decode/frame-builder.ts and written as a classic pcap.
 */
import { writeFileSync } from 'node:fs';
import { be16, be32, cat, ipv4, le16, le32, tcp, udp, type Bytes } from '../../src/decode/frame-builder.js';

export const HOSTILE = [
  `<img src=x onerror="alert('img')">`,
  `"><script>alert('script')</script>`,
  `<svg onload=alert('svg')>`,
  `javascript:alert('js')`,
] as const;

const CLIENT_MAC = [0x02, 0x00, 0x00, 0x00, 0x01, 0x0a];
const ROUTER_MAC = [0x02, 0x00, 0x00, 0x00, 0x01, 0x01];
export const CLIENT_IP = [192, 168, 1, 10];
const RESOLVER_IP = [192, 168, 1, 1];
export const SERVER_IP = [198, 51, 100, 2];
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const ACK = 0x010;
const PSH_ACK = 0x018;
const SYN = 0x002;
const SYN_ACK = 0x012;
const FIN_ACK = 0x011;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Frame {
  readonly us: number;
  readonly bytes: Uint8Array;
}

/** Ethernet II: from the client's MAC when it sends, else from the router's. */
function ether(fromClient: boolean, ip: Uint8Array): Uint8Array {
  const [dst, src] = fromClient ? [ROUTER_MAC, CLIENT_MAC] : [CLIENT_MAC, ROUTER_MAC];
  return cat(dst, src, be16(0x0800), ip);
}

/** A DNS name of one label (the payload itself: any byte but the length is allowed in a label). */
const dnsName = (label: string): Uint8Array => cat([label.length], ascii(label), [0]);

function dnsQuery(id: number, name: string): Uint8Array {
  return cat(be16(id), be16(0x0100), be16(1), be16(0), be16(0), be16(0), dnsName(name), be16(1), be16(1));
}

/** The answer: a CNAME to the payload, then its address. */
function dnsAnswer(id: number, name: string): Uint8Array {
  const question = cat(dnsName(name), be16(1), be16(1));
  const target = dnsName(name);
  const cname = cat(be16(0xc00c), be16(5), be16(1), be32(300), be16(target.length), target);
  const a = cat(be16(0xc00c), be16(1), be16(1), be32(300), be16(4), SERVER_IP);
  return cat(be16(id), be16(0x8180), be16(1), be16(2), be16(0), be16(0), question, cname, a);
}

const ext = (type: number, data: Bytes): Uint8Array => cat(be16(type), be16(data.length), data);

/** A TLS 1.2 ClientHello record carrying `sni` in its server_name extension. */
function clientHello(sni: string): Uint8Array {
  const host = ascii(sni);
  const exts = cat(ext(0, cat(be16(host.length + 3), [0], be16(host.length), host)), ext(0x000b, [1, 0]));
  const body = cat(
    be16(0x0303),
    new Array<number>(32).fill(7),
    [0],
    be16(4),
    be16(0xc02b),
    be16(0x002f),
    [1, 0],
    be16(exts.length),
    exts,
  );
  const hs = cat([1, (body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff], body);
  return cat([22, 3, 1], be16(hs.length), hs);
}

/** A TCP conversation: handshake, the client's data, the server's data, and both FINs. */
function tcpConversation(
  at: number,
  sport: number,
  dport: number,
  request: Uint8Array,
  response: Uint8Array,
): Frame[] {
  let c = 1000;
  let s = 5000;
  const seg = (fromClient: boolean, flags: number, payload: Bytes = []): Uint8Array =>
    ether(
      fromClient,
      ipv4({
        proto: IPPROTO_TCP,
        src: fromClient ? CLIENT_IP : SERVER_IP,
        dst: fromClient ? SERVER_IP : CLIENT_IP,
        payload: fromClient
          ? tcp({ sport, dport, flags, seq: c, ack: flags === SYN ? 0 : s, payload })
          : tcp({ sport: dport, dport: sport, flags, seq: s, ack: c, payload }),
      }),
    );
  const frames: Uint8Array[] = [];
  frames.push(seg(true, SYN));
  c++;
  frames.push(seg(false, SYN_ACK));
  s++;
  frames.push(seg(true, ACK));
  frames.push(seg(true, PSH_ACK, request));
  c += request.length;
  frames.push(seg(false, ACK));
  if (response.length > 0) {
    frames.push(seg(false, PSH_ACK, response));
    s += response.length;
    frames.push(seg(true, ACK));
  }
  frames.push(seg(true, FIN_ACK));
  c++;
  frames.push(seg(false, FIN_ACK));
  s++;
  frames.push(seg(true, ACK));
  return frames.map((bytes, k) => ({ us: at + k * 1000, bytes }));
}

/** Writes the crafted capture to `path`. */
export function writeHostilePcap(path: string): void {
  const frames: Frame[] = [];
  const start = Date.UTC(2024, 4, 1, 12, 0, 0) * 1000;
  for (const [i, payload] of HOSTILE.entries()) {
    const at = start + i * 1_000_000;
    const sport = 40000 + i;
    const dnsFrame = (fromClient: boolean, msg: Uint8Array): Uint8Array =>
      ether(
        fromClient,
        ipv4({
          proto: IPPROTO_UDP,
          src: fromClient ? CLIENT_IP : RESOLVER_IP,
          dst: fromClient ? RESOLVER_IP : CLIENT_IP,
          payload: fromClient ? udp(sport, 53, msg) : udp(53, sport, msg),
        }),
      );
    frames.push({ us: at, bytes: dnsFrame(true, dnsQuery(0x1000 + i, payload)) });
    frames.push({ us: at + 500, bytes: dnsFrame(false, dnsAnswer(0x1000 + i, payload)) });
    // A Basic user name cannot hold a colon; the alert merges the requests and keeps the last user's.
    const auth = payload.includes(':')
      ? ''
      : `Authorization: Basic ${Buffer.from(`${payload}:secret`).toString('base64')}\r\n`;
    const request = ascii(
      `GET /${payload.replace(/ /g, '%20')} HTTP/1.1\r\nHost: ${payload}\r\nUser-Agent: ${payload}\r\n${auth}\r\n`,
    );
    const response = ascii('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n');
    frames.push(...tcpConversation(at + 10_000, sport, 80, request, response));
    frames.push(...tcpConversation(at + 100_000, sport + 100, 443, clientHello(payload), new Uint8Array(0)));
  }
  const header = cat(le32(0xa1b2c3d4), le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1));
  const records = frames.map((f) =>
    cat(le32(Math.floor(f.us / 1e6)), le32(f.us % 1e6), le32(f.bytes.length), le32(f.bytes.length), f.bytes),
  );
  writeFileSync(path, cat(header, ...records));
}
