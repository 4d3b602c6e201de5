/**
 * Test support: hand-built or corpus payloads through the real decoder, flow table and dispatcher, with
 * every record collected. A client (IP_A:40000) talks to a server (IP_B:port).
 */
import { PacketDecoder } from '../decode/decoder.js';
import { eth, ipv4, tcp, udp, IP_A, IP_B, type Bytes } from '../decode/frame-builder.js';
import { DecodedPacket } from '../decode/packet.js';
import { EndpointText } from '../flow/record.js';
import { FlowTable, type FlowState } from '../flow/table.js';
import type { DhcpLog, Dhcpv6Log, DnsLog, HttpLog, QuicLog, TlsLog } from '../schema/streams.js';
import { AppDispatcher } from './dispatch.js';

export const CLIENT_PORT = 40000;
const ACK = 0x010;
const PSH_ACK = 0x018;
const SYN = 0x002;
const SYN_ACK = 0x012;

export class AppHarness {
  readonly dns: DnsLog[] = [];
  readonly tls: TlsLog[] = [];
  readonly http: HttpLog[] = [];
  readonly dhcp: DhcpLog[] = [];
  readonly dhcpv6: Dhcpv6Log[] = [];
  readonly quic: QuicLog[] = [];
  readonly services: (string | null)[] = [];
  readonly app: AppDispatcher;
  readonly #decoder = new PacketDecoder();
  readonly #decoded = new DecodedPacket();
  readonly #table: FlowTable;
  readonly #port: number;
  /** Next sequence numbers of client and server. */
  clientSeq = 1000;
  serverSeq = 5000;
  /** Packet time in milliseconds (only rtt depends on it; `wait` advances it). */
  #ms = 1_700_000_000_000;

  constructor(serverPort: number) {
    this.#port = serverPort;
    this.app = new AppDispatcher((stream, log) => {
      if (stream === 'dns') this.dns.push(log as DnsLog);
      else if (stream === 'tls') this.tls.push(log as TlsLog);
      else if (stream === 'http') this.http.push(log as HttpLog);
      else if (stream === 'dhcp') this.dhcp.push(log as DhcpLog);
      else if (stream === 'dhcpv6') this.dhcpv6.push(log as Dhcpv6Log);
      else this.quic.push(log as QuicLog);
    }, new EndpointText());
    this.#table = new FlowTable(
      (f: FlowState) => {
        this.app.flowEnded(f);
        this.services.push(f.service);
      },
      { uidSeed: 7 },
    );
  }

  /** One Ethernet frame. */
  frame(frame: Uint8Array): void {
    const d = this.#decoded;
    this.#decoder.decode(frame, 0, frame.length, 1, d);
    const sec = Math.floor(this.#ms / 1000);
    const nsec = (this.#ms % 1000) * 1_000_000;
    const flow = this.#table.packet(frame, d, sec, nsec, true);
    if (flow !== null) this.app.packet(frame, d, flow, this.#table.isOrig, sec, nsec);
  }

  wait(ms: number): void {
    this.#ms += ms;
  }

  udp(fromClient: boolean, payload: Bytes): void {
    const u = fromClient ? udp(CLIENT_PORT, this.#port, payload) : udp(this.#port, CLIENT_PORT, payload);
    this.frame(
      eth(
        0x0800,
        ipv4({ proto: 17, src: fromClient ? IP_A : IP_B, dst: fromClient ? IP_B : IP_A, payload: u }),
      ),
    );
  }

  /** The three-way handshake. */
  handshake(): void {
    this.#tcp(true, SYN, this.clientSeq++, []);
    this.#tcp(false, SYN_ACK, this.serverSeq++, []);
    this.#tcp(true, ACK, this.clientSeq, []);
  }

  /** A data segment from one side at its next sequence number (or `seq`), advancing it. */
  tcp(fromClient: boolean, payload: Bytes, seq?: number): void {
    const s = seq ?? (fromClient ? this.clientSeq : this.serverSeq);
    this.#tcp(fromClient, PSH_ACK, s, payload);
    const next = (s + payload.length) >>> 0;
    if (fromClient) this.clientSeq = Math.max(this.clientSeq, next);
    else this.serverSeq = Math.max(this.serverSeq, next);
  }

  /** Each segment acknowledges everything the other side has sent (a SYN's ack field is ignored). */
  #tcp(fromClient: boolean, flags: number, seq: number, payload: Bytes): void {
    const t = fromClient
      ? tcp({ sport: CLIENT_PORT, dport: this.#port, flags, seq, ack: this.serverSeq, payload })
      : tcp({ sport: this.#port, dport: CLIENT_PORT, flags, seq, ack: this.clientSeq, payload });
    this.frame(
      eth(
        0x0800,
        ipv4({ proto: 6, src: fromClient ? IP_A : IP_B, dst: fromClient ? IP_B : IP_A, payload: t }),
      ),
    );
  }

  /** Ends every flow (their pending transactions become records). */
  end(): void {
    this.#table.flush();
    this.app.flush();
  }
}

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
