/**
 * What every per-flow application parser shares: the contract with the dispatcher (FlowParser) and the
 * per-pipeline context (where records go, endpoint text, service confirmation).
 */
import type { EndpointText } from '../flow/record.js';
import type { FlowState } from '../flow/table.js';
import type { LogOf } from '../schema/streams.js';

export type AppStream = 'dns' | 'tls' | 'http' | 'dhcp' | 'dhcpv6' | 'quic';
/** Where a device name met in traffic (mDNS answer, NetBIOS registration) goes: for the inventory. */
export type HostNameSink = (ip: string, name: string, source: 'mdns' | 'netbios') => void;

/** Receives every finished application record. */
export type AppLogSink = <S extends AppStream>(stream: S, log: LogOf<S>) => void;

/**
 * One flow's parser state. For TCP the dispatcher delivers each direction's bytes in sequence order (a
 * retransmission's old bytes removed) and reports a hole with `gap`; the parser keeps only what it needs
 * between calls, bounded. `b[off, end)` is valid only during the call (STYLE.md E5).
 */
export interface FlowParser {
  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void;
  gap(isOrig: boolean): void;
  /** The flow ended: pending transactions become records. */
  end(): void;
  /** Nothing more to learn from this flow (its records are out): the dispatcher stops calling. */
  readonly finished: boolean;
}

export interface AppContext {
  readonly emit: AppLogSink;
  readonly endpoints: EndpointText;
  readonly hostName: HostNameSink;
  /** Marks the flow's protocol as confirmed (Zeek sets conn.log service on analyzer confirmation). */
  confirm(flow: FlowState, service: string): void;
}
