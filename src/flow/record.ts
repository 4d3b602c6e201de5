/** The only place a conn (flows) record is shaped from a flow (STYLE.md E8). */
import { AddressTextCache } from '../core/addr.js';
import type { ConnLog } from '../schema/conn.js';
import { IP_PROTOCOL_NAMES } from '../schema/ip-protocols.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './key.js';
import type { FlowState } from './table.js';

/** Zeek's transport names; ICMPv6 is `icmp` in conn.log too. Other protocols by IANA keyword, lower case. */
export function protoName(proto: number): string {
  if (proto === IPPROTO_TCP) return 'tcp';
  if (proto === IPPROTO_UDP) return 'udp';
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return 'icmp';
  return (IP_PROTOCOL_NAMES[proto] ?? String(proto)).toLowerCase();
}

/** Address text of flow endpoints (cached: traffic repeats the same addresses); for every log's orig_h/resp_h. */
export class EndpointText {
  readonly #addr = new AddressTextCache();
  readonly #bytes = new Uint8Array(16);
  readonly #words = new Uint32Array(4);

  orig(f: FlowState): string {
    return this.#text(f.origWords(this.#words), f.v6);
  }

  resp(f: FlowState): string {
    return this.#text(f.respWords(this.#words), f.v6);
  }

  #text(words: Uint32Array, v6: boolean): string {
    const b = this.#bytes;
    const n = v6 ? 4 : 1;
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      b[4 * i] = w >>> 24;
      b[4 * i + 1] = (w >>> 16) & 0xff;
      b[4 * i + 2] = (w >>> 8) & 0xff;
      b[4 * i + 3] = w & 0xff;
    }
    return v6 ? this.#addr.ipv6(b, 0) : this.#addr.ipv4(b, 0);
  }
}

export class ConnRecorder {
  readonly #text: EndpointText;

  constructor(text = new EndpointText()) {
    this.#text = text;
  }

  toConnLog(f: FlowState): ConnLog {
    const tcp = f.tcp;
    let origBytes: number;
    let respBytes: number;
    let state: string;
    let history: string;
    if (tcp !== null) {
      origBytes = tcp.orig.size(tcp.resp);
      respBytes = tcp.resp.size(tcp.orig);
      state = tcp.connState(origBytes, respBytes);
      history = tcp.history;
    } else {
      origBytes = f.origPayload;
      respBytes = f.respPayload;
      history = f.history;
      // Zeek: UDP SF both sides sent, S0 only the originator, SHR only the responder; others OTH.
      state = f.proto !== IPPROTO_UDP ? 'OTH' : f.respPkts > 0 ? (f.origPkts > 0 ? 'SF' : 'SHR') : 'S0';
    }
    return {
      ts: f.firstSec * 1e6 + Math.floor(f.firstNsec / 1000),
      uid: f.uid,
      duration: f.duration,
      orig_h: this.#text.orig(f),
      orig_p: f.origPort,
      resp_h: this.#text.resp(f),
      resp_p: f.respPort,
      proto: protoName(f.proto),
      service: f.service,
      conn_state: state,
      history: history === '' ? null : history,
      orig_pkts: f.origPkts,
      orig_bytes: origBytes,
      resp_pkts: f.respPkts,
      resp_bytes: respBytes,
      orig_ip_bytes: f.origIpBytes,
      resp_ip_bytes: f.respIpBytes,
      community_id: f.communityId(),
      vlan: f.vlan < 0 ? null : f.vlan,
      ip_proto: f.proto,
    };
  }
}
