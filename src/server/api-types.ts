/**
 * The JSON the HTTP API answers with, shared by the server and the dashboard (web/ imports these types
 * only). Times are milliseconds since 1970 (UTC); the browser shows them in its own time zone.
 */

/** Which optional tables the database holds: sections that need a missing one say so instead of failing. */
export interface Features {
  flows: boolean;
  dns: boolean;
  tls: boolean;
  http: boolean;
  alerts: boolean;
  hosts: boolean;
}

export interface CaptureInfo {
  id: number;
  source: string;
  format: string | null;
  status: string;
  startedAt: number | null;
  endedAt: number | null;
  packets: number;
  bytes: number;
  dropped: number;
  ifDropped: number;
}

export interface Summary {
  packets: number;
  bytes: number;
  first: number | null;
  last: number | null;
  flows: number;
  captures: CaptureInfo[];
  features: Features;
}

export interface TimelineResponse {
  /** Bucket width in seconds; t[k] is the start of bucket k. */
  bucketSeconds: number;
  t: number[];
  /** Busiest first, 'other' last. */
  series: string[];
  packetsPerSec: Record<string, number[]>;
  bitsPerSec: Record<string, number[]>;
}

export interface ProtocolRow {
  protocol: string;
  packets: number;
  bytes: number;
}

export interface TalkerRow {
  host: string;
  hostClass: string;
  sent: number;
  received: number;
  bytes: number;
  packets: number;
}

export interface PortRow {
  protocol: string;
  port: number;
  packets: number;
  bytes: number;
}

export interface DestinationRow {
  host: string;
  hostClass: string;
  flows: number;
  bytes: number;
}

export interface DomainRow {
  domain: string;
  queries: number;
}

/** A list that needs an optional table: `available` false (and no rows) when the database lacks it. */
export interface Optional<T> {
  available: boolean;
  rows: T[];
}

export interface FlowRow {
  uid: string;
  ts: number;
  duration: number;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  proto: string;
  service: string | null;
  conn_state: string;
  history: string | null;
  orig_pkts: number;
  orig_bytes: number;
  resp_pkts: number;
  resp_bytes: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  community_id: string;
  capture_id: number | null;
}

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  rows: T[];
}

/** A page of flows: with a filter, `total` is counted up to COUNT_CAP (100,500) only. */
export interface FlowPage extends Page<FlowRow> {
  /** Counting stopped at `total`: at least that many flows match. */
  totalCapped: boolean;
}

/** Rows of the application-layer tables joined by the flow uid; null when the table does not exist. */
export interface FlowDetail {
  flow: FlowRow;
  dns: Record<string, unknown>[] | null;
  tls: Record<string, unknown>[] | null;
  http: Record<string, unknown>[] | null;
  alerts: AlertRow[] | null;
}

export interface PacketRow {
  frame: number | null;
  ts: number;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
  protocol: string | null;
  length: number | null;
}

export interface HostRow {
  /** What /api/hosts/:host takes: the MAC address of an inventory device, else the IP address. */
  host: string;
  /** Where the row comes from: the `hosts` inventory (one device, by MAC) or the flows (one address). */
  kind: 'device' | 'address';
  mac: string | null;
  /** Organisation of the MAC prefix (IEEE OUI registry). */
  vendor: string | null;
  /** From DHCP, else mDNS, else NetBIOS (`nameSource` says which). */
  hostName: string | null;
  nameSource: string | null;
  /** Addresses the device sent from, first seen first; the address itself for a flows row. */
  ips: string[];
  /** More source addresses than one device uses: a router forwarding for others. */
  router: boolean;
  hostClass: string;
  /** Flows with one of its addresses at either end; null in inventory lists (counted in the detail only). */
  flows: number | null;
  /** Bytes sent and received: frame bytes for a device (inventory), IP bytes of its flows for an address. */
  sent: number;
  received: number;
  first: number;
  last: number;
}

export interface HostPage extends Page<HostRow> {
  /** `inventory` when the database has a device inventory (the `hosts` table), else `flows`. */
  source: 'inventory' | 'flows';
}

export interface PeerRow {
  peer: string;
  flows: number;
  bytes: number;
}

export interface HostDetail {
  host: HostRow;
  /** Bytes the host (all of a device's addresses) sent and received per bucket, from flows (by flow start). */
  timeline: { bucketSeconds: number; t: number[]; sent: number[]; received: number[] };
  peers: PeerRow[];
  services: { proto: string; port: number; flows: number; bytes: number }[];
  alerts: AlertRow[] | null;
}

export interface AlertRow {
  id: string;
  type: string;
  severity: string;
  src_ip: string | null;
  dst_ip: string | null;
  first_seen: number | null;
  last_seen: number | null;
  count: number;
  message: string;
  evidence: unknown;
  acknowledged: boolean;
}

/** An allowlist entry, as `nta alerts mute` makes it. */
export type { AllowlistRow as AllowEntry } from '../schema/allowlist.js';

export interface AlertPage extends Page<AlertRow> {
  available: boolean;
}

/** One Server-Sent Event `tick`: rows stored since the previous tick, per protocol. */
export interface LiveTick {
  t: number;
  /** Seconds this tick covers. */
  seconds: number;
  packets: Record<string, number>;
  bytes: Record<string, number>;
  totalPackets: number;
  runningCaptures: number;
}

export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
}
