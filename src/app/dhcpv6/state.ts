/**
 * DHCPv6 exchanges: a client multicasts to ff02::1:2 and the server answers unicast, so the messages of
 * one exchange travel on different UDP flows and are joined by transaction id (as DHCPv4's, app/dhcp).
 * An exchange is logged at the server's REPLY or ADVERTISE (the client's next step uses a new transaction
 * id), when the pending table is full (oldest first) and at the end of the capture.
 */
import type { FlowState } from '../../flow/table.js';
import type { Dhcpv6Log } from '../../schema/dhcpv6.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { Dhcpv6Anomaly } from './anomalies.js';
import {
  DHCPV6_ADVERTISE,
  DHCPV6_MESSAGE_TYPES,
  DHCPV6_REPLY,
  Dhcpv6Message,
  MAX_DHCPV6_ADDRESSES,
  parseDhcpv6Message,
} from './parser.js';

/** Exchanges waiting for their answer; a SOLICIT flood cannot grow the table beyond this. */
export const MAX_DHCPV6_PENDING = 1024;
const MAX_MESSAGES = 32;
const MAX_UIDS = 8;
/** Message types a server sends (RFC 8415 §7.3). */
const SERVER_TYPES = new Set([DHCPV6_ADVERTISE, DHCPV6_REPLY, 10]);

/** Appends the values of `from` not yet in `to`, bounded. */
function addAll(to: string[] | null, from: readonly string[]): string[] | null {
  if (from.length === 0) return to;
  const out = to ?? [];
  for (const v of from) if (!out.includes(v) && out.length < MAX_DHCPV6_ADDRESSES) out.push(v);
  return out;
}

class Dhcpv6Exchange {
  readonly firstUs: number;
  lastUs: number;
  readonly xid: number;
  readonly uids: string[] = [];
  readonly msgTypes: string[] = [];
  clientAddr: string | null = null;
  serverAddr: string | null = null;
  clientDuid: string | null = null;
  serverDuid: string | null = null;
  mac: string | null = null;
  fqdn: string | null = null;
  vendorClass: string | null = null;
  requested: string[] | null = null;
  assigned: string[] | null = null;
  prefixes: string[] | null = null;

  constructor(xid: number, tsUs: number) {
    this.xid = xid;
    this.firstUs = this.lastUs = tsUs;
  }

  toLog(): Dhcpv6Log {
    return {
      ts: this.firstUs,
      uids: this.uids,
      trans_id: this.xid,
      client_addr: this.clientAddr,
      server_addr: this.serverAddr,
      client_duid: this.clientDuid,
      server_duid: this.serverDuid,
      mac: this.mac,
      client_fqdn: this.fqdn,
      vendor_class: this.vendorClass,
      requested_addrs: this.requested,
      assigned_addrs: this.assigned,
      delegated_prefixes: this.prefixes,
      msg_types: this.msgTypes,
      duration: (this.lastUs - this.firstUs) / 1e6,
    };
  }
}

/** Shared by all DHCPv6 flows of a pipeline: the reused message and the exchanges by transaction id. */
export class Dhcpv6Shared {
  readonly msg = new Dhcpv6Message();
  readonly #pending = new Map<number, Dhcpv6Exchange>();
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }

  /** One message [off, end) of `flow`, sent from the flow's source address `src`. */
  message(flow: FlowState, src: string, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const m = this.msg;
    const anomaly = parseDhcpv6Message(b, off, end, m);
    if (anomaly >= 0) this.anomalies.add(anomaly);
    if (m.type === 0) return;
    this.ctx.confirm(flow, 'dhcpv6');
    const pending = this.#pending;
    let x = pending.get(m.xid);
    if (x === undefined) {
      if (pending.size >= MAX_DHCPV6_PENDING) {
        this.anomalies.add(Dhcpv6Anomaly.TooManyPending);
        const [oldest, ex] = pending.entries().next().value!;
        pending.delete(oldest);
        this.ctx.emit('dhcpv6', ex.toLog());
      }
      x = new Dhcpv6Exchange(m.xid, tsUs);
      pending.set(m.xid, x);
    }
    x.lastUs = Math.max(x.lastUs, tsUs);
    if (!x.uids.includes(flow.uid) && x.uids.length < MAX_UIDS) x.uids.push(flow.uid);
    if (x.msgTypes.length < MAX_MESSAGES) x.msgTypes.push(DHCPV6_MESSAGE_TYPES[m.type] ?? String(m.type));
    x.clientDuid ??= m.clientDuid;
    x.mac ??= m.mac;
    if (SERVER_TYPES.has(m.type)) {
      x.serverAddr ??= src;
      x.serverDuid ??= m.serverDuid;
      if (m.type === DHCPV6_REPLY) {
        x.assigned = addAll(x.assigned, m.addresses);
        x.prefixes = addAll(x.prefixes, m.prefixes);
      }
    } else {
      x.clientAddr ??= src;
      x.fqdn = m.fqdn ?? x.fqdn;
      x.vendorClass = m.vendorClass ?? x.vendorClass;
      x.requested = addAll(x.requested, m.addresses);
    }
    if (m.type === DHCPV6_REPLY || m.type === DHCPV6_ADVERTISE) {
      pending.delete(m.xid);
      this.ctx.emit('dhcpv6', x.toLog());
    }
  }

  /** The capture ended: exchanges still waiting are logged as they are. */
  flush(): void {
    for (const x of this.#pending.values()) this.ctx.emit('dhcpv6', x.toLog());
    this.#pending.clear();
  }
}

/** A UDP flow on port 546/547: each datagram is one message. */
export class Dhcpv6Flow implements FlowParser {
  readonly #flow: FlowState;
  readonly #s: Dhcpv6Shared;
  readonly finished = false;

  constructor(flow: FlowState, shared: Dhcpv6Shared) {
    this.#flow = flow;
    this.#s = shared;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const text = this.#s.ctx.endpoints;
    const src = isOrig ? text.orig(this.#flow) : text.resp(this.#flow);
    this.#s.message(this.#flow, src, b, off, end, tsUs);
  }

  gap(): void {}

  end(): void {}
}
