/**
 * The detector plugin contract (STYLE.md E9): an id (the alert type it raises), the events it subscribes
 * to, documented defaults that a deployment may override, and a factory for its state. A detector never
 * imports another one, keeps bounded state, and reads time only from its events.
 */
import type { AlertType, Severity } from '../schema/alert.js';
import type { AddrKey } from './addr-key.js';
import type { CidrSet } from './cidr.js';
import type { ArpEvent, DnsQueryEvent, DomainEvent, EventKind, FlowEvent, PacketEvent } from './events.js';
import type { Blocklist } from './blocklist.js';

/** Thresholds: numbers only (seconds, counts, bytes, ratios), so config validation is generic. */
export type Thresholds = Readonly<Record<string, number>>;

export interface Notice {
  readonly type: AlertType;
  readonly variant?: string | undefined;
  readonly severity: Severity;
  /** Attacker or subject. */
  readonly src: string;
  readonly dst?: string | undefined;
  readonly dstPort?: number | undefined;
  /** Packet time of the first evidence and of now (seconds). */
  readonly first: number;
  readonly ts: number;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly mitre?: string | undefined;
  /** Identity for merging duplicates (STYLE.md E11); the type is prepended by the engine. */
  readonly identifier: string;
  /** Domain concerned (DNS, TLS, HTTP), for domain allowlists. */
  readonly domain?: string | undefined;
  /**
   * Brings the evidence of the alert with this identity up to date without counting a new detection
   * (a scan that went on after it was reported).
   */
  readonly refresh?: boolean | undefined;
}

export interface DetectorContext {
  readonly home: CidrSet;
  readonly blocklist: Blocklist;
  emit(n: Notice): void;
}

export interface DetectorInstance {
  packet?(ev: PacketEvent): void;
  arp?(ev: ArpEvent): void;
  dns?(ev: DnsQueryEvent): void;
  domain?(ev: DomainEvent): void;
  flow?(ev: FlowEvent): void;
  /** Called about once a second of packet time: drop state older than the detector's windows. */
  sweep?(now: number): void;
  /** The input ended (end of a capture file): report what is pending. */
  finish?(now: number): void;
  /**
   * What the detector learned, as key and JSON value pairs, to keep in the database for the next run
   * (see schema/learned.ts). Detectors with a learning period implement it with restore.
   */
  learned?(): Iterable<readonly [key: string, value: unknown]>;
  /** One pair of an earlier run's learned(), before any event; a value it cannot use is ignored. */
  restore?(key: string, value: unknown): void;
}

export interface Detector<T extends Thresholds = Thresholds> {
  readonly id: AlertType;
  readonly description: string;
  readonly subscribes: readonly EventKind[];
  readonly defaults: T;
  /** Thresholds' meaning, one line each (documentation and `nta detectors`). */
  readonly docs: { readonly [K in keyof T]: string };
  create(cfg: T, ctx: DetectorContext): DetectorInstance;
}

/** Helps detectors keep their type parameter while being listed together. */
export const defineDetector = <T extends Thresholds>(d: Detector<T>): Detector<T> => d;

/** Upper bound on tracked keys (hosts, pairs) per detector map; the oldest entries go first. */
export const MAX_TRACKED = 65_536;

/** Inserts into an insertion-ordered Map, evicting the oldest entry when it is full. */
export function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max = MAX_TRACKED): void {
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

export type { AddrKey };
