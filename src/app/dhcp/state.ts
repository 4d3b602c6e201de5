/**
 * DHCP exchanges: a client's messages and the server's answers travel on different UDP flows (broadcast
 * one way, unicast or broadcast back), so messages are joined by transaction id across flows, as Zeek's
 * dhcp.log does. An exchange is logged at the server's ACK or NAK, at a client's RELEASE or DECLINE (no
 * answer follows), when the pending table is full (oldest first) and at the end of the capture.
 */
import type { FlowState } from '../../flow/table.js';
import type { DhcpLog } from '../../schema/dhcp.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext } from '../context.js';
import { Exchange, PendingExchanges, type ExchangeMessages } from '../exchanges.js';
import { DhcpAnomaly } from './anomalies.js';
import { DHCP_ACK, DHCP_MESSAGE_TYPES, DHCP_NAK, DhcpMessage, parseDhcpMessage } from './parser.js';

/** Exchanges waiting for their answer; a DISCOVER flood cannot grow the table beyond this. */
export const MAX_DHCP_PENDING = 1024;

const DHCP_RELEASE = 7;
const DHCP_DECLINE = 4;
const DHCP_SERVER_REPLY = 2;

class DhcpExchange extends Exchange<DhcpLog> {
  clientAddr: string | null = null;
  serverAddr: string | null = null;
  mac: string | null = null;
  hostName: string | null = null;
  clientFqdn: string | null = null;
  domain: string | null = null;
  requested: string | null = null;
  assigned: string | null = null;
  lease: number | null = null;
  vendorClass: string | null = null;
  clientId: string | null = null;
  paramList: string | null = null;

  toLog(): DhcpLog {
    return {
      ts: this.firstUs,
      uids: this.uids,
      client_addr: this.clientAddr,
      server_addr: this.serverAddr,
      mac: this.mac,
      host_name: this.hostName,
      client_fqdn: this.clientFqdn,
      domain: this.domain,
      requested_addr: this.requested,
      assigned_addr: this.assigned,
      lease_time: this.lease,
      client_software: this.vendorClass,
      client_id: this.clientId,
      fingerprint: this.paramList,
      msg_types: this.msgTypes,
      duration: (this.lastUs - this.firstUs) / 1e6,
    };
  }
}

/** Shared by all DHCP flows of a pipeline: the reused message and the exchanges by transaction id. */
export class DhcpShared implements ExchangeMessages {
  readonly msg = new DhcpMessage();
  readonly #pending: PendingExchanges<DhcpExchange>;
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
    this.#pending = new PendingExchanges({
      max: MAX_DHCP_PENDING,
      create: (_xid, tsUs) => new DhcpExchange(tsUs),
      emit: (x) => ctx.emit('dhcp', x.toLog()),
      onFull: () => anomalies.add(DhcpAnomaly.TooManyPending),
    });
  }

  /** One message [off, end) of `flow`, sent from the flow's source address `src`. */
  message(flow: FlowState, src: string, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const m = this.msg;
    const anomaly = parseDhcpMessage(b, off, end, m);
    if (anomaly >= 0) this.anomalies.add(anomaly);
    if (m.type === 0) return;
    this.ctx.confirm(flow, 'dhcp');
    const x = this.#pending.seen(m.xid, tsUs, flow, DHCP_MESSAGE_TYPES[m.type] ?? String(m.type));
    x.mac ??= m.mac;
    if (m.op === DHCP_SERVER_REPLY) {
      x.serverAddr = m.serverId ?? x.serverAddr ?? src;
      x.domain = m.domain ?? x.domain;
      if (m.type === DHCP_ACK) {
        if (m.yiaddr !== '0.0.0.0') x.assigned = m.yiaddr;
        if (m.lease >= 0) x.lease = m.lease;
      }
    } else {
      if (m.ciaddr !== '0.0.0.0') x.clientAddr = m.ciaddr;
      else if (src !== '0.0.0.0') x.clientAddr ??= src;
      x.hostName = m.hostName ?? x.hostName;
      x.clientFqdn = m.clientFqdn ?? x.clientFqdn;
      x.requested = m.requested ?? x.requested;
      x.vendorClass = m.vendorClass ?? x.vendorClass;
      x.clientId = m.clientId ?? x.clientId;
      x.paramList = m.paramList ?? x.paramList;
    }
    const last =
      m.op === DHCP_SERVER_REPLY
        ? m.type === DHCP_ACK || m.type === DHCP_NAK
        : m.type === DHCP_RELEASE || m.type === DHCP_DECLINE;
    if (last) this.#pending.end(m.xid, x);
  }

  /** The capture ended: exchanges still waiting are logged as they are. */
  flush(): void {
    this.#pending.flush();
  }
}
