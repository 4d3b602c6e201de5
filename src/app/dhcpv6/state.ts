/**
 * DHCPv6 exchanges: a client multicasts to ff02::1:2 and the server answers unicast, so the messages of
 * one exchange travel on different UDP flows and are joined by transaction id (as DHCPv4's, app/dhcp).
 * An exchange is logged at the server's REPLY or ADVERTISE (the client's next step uses a new transaction
 * id), when the pending table is full (oldest first) and at the end of the capture.
 */
import type { FlowState } from '../../flow/table.js';
import type { Dhcpv6Log } from '../../schema/dhcpv6.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext } from '../context.js';
import { Exchange, PendingExchanges, type ExchangeMessages } from '../exchanges.js';
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
/** Message types a server sends (RFC 8415 §7.3). */
const SERVER_TYPES = new Set([DHCPV6_ADVERTISE, DHCPV6_REPLY, 10]);

/** Appends the values of `from` not yet in `to`, bounded. */
function addAll(to: string[] | null, from: readonly string[]): string[] | null {
  if (from.length === 0) return to;
  const out = to ?? [];
  for (const v of from) if (!out.includes(v) && out.length < MAX_DHCPV6_ADDRESSES) out.push(v);
  return out;
}

class Dhcpv6Exchange extends Exchange<Dhcpv6Log> {
  readonly xid: number;
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
    super(tsUs);
    this.xid = xid;
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
export class Dhcpv6Shared implements ExchangeMessages {
  readonly msg = new Dhcpv6Message();
  readonly #pending: PendingExchanges<Dhcpv6Exchange>;
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
    this.#pending = new PendingExchanges({
      max: MAX_DHCPV6_PENDING,
      create: (xid, tsUs) => new Dhcpv6Exchange(xid, tsUs),
      emit: (x) => ctx.emit('dhcpv6', x.toLog()),
      onFull: () => anomalies.add(Dhcpv6Anomaly.TooManyPending),
    });
  }

  /** One message [off, end) of `flow`, sent from the flow's source address `src`. */
  message(flow: FlowState, src: string, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const m = this.msg;
    const anomaly = parseDhcpv6Message(b, off, end, m);
    if (anomaly >= 0) this.anomalies.add(anomaly);
    if (m.type === 0) return;
    this.ctx.confirm(flow, 'dhcpv6');
    const x = this.#pending.seen(m.xid, tsUs, flow, DHCPV6_MESSAGE_TYPES[m.type] ?? String(m.type));
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
    if (m.type === DHCPV6_REPLY || m.type === DHCPV6_ADVERTISE) this.#pending.end(m.xid, x);
  }

  /** The capture ended: exchanges still waiting are logged as they are. */
  flush(): void {
    this.#pending.flush();
  }
}
