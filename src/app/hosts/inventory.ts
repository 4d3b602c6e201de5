/**
 * The device inventory: every local device, that is every unicast MAC address seen as the link-layer source
 * of a frame on the capture link, with the addresses it sent from (ARP sender, IP source), packets and bytes
 * each way, first and last seen, and a name from DHCP (the client's host name, else its FQDN; DHCPv6's
 * FQDN), mDNS (a `.local` name answered with its address) or NetBIOS, in that order of trust. What its
 * DHCP client says of itself (vendor class, option 55 fingerprint) is kept too: it tells device types apart.
 *
 * Bounded: at most MAX_HOSTS devices (the first seen is evicted first, counted), MAX_HOST_IPS addresses
 * per device (a router forwards for the whole internet behind one MAC: past the cap it is marked as one and
 * nothing more is added), and MAX_NAMED names remembered by MAC or address.
 */
import { AddressTextCache } from '../../core/addr.js';
import { u16be, u32be } from '../../core/bytes.js';
import { Network, type DecodedPacket } from '../../decode/packet.js';
import type { DhcpLog, Dhcpv6Log, HostsLog } from '../../schema/streams.js';
import { macText } from '../dhcp/parser.js';
import { macVendor } from './oui.js';

export const MAX_HOSTS = 10_000;
export const MAX_HOST_IPS = 16;
const MAX_NAMED = 10_000;

/** Trust of a name source: a higher rank replaces a lower one. */
const NameRank = { netbios: 1, mdns: 2, dhcp: 3 } as const;
export type NameSource = keyof typeof NameRank;

interface Name {
  readonly text: string;
  readonly source: NameSource;
}

/** What a device's DHCP client said of itself (the latest non-empty value of each). */
interface DhcpClient {
  vendorClass: string | null;
  fingerprint: string | null;
}

class Host {
  readonly mac: string;
  /** The MAC as two integers (first 2 bytes, last 4), for the recent-device check without a Map lookup. */
  readonly macHi: number;
  readonly macLo: number;
  readonly ips: string[] = [];
  router = false;
  firstUs: number;
  lastUs: number;
  pktsOut = 0;
  bytesOut = 0;
  pktsIn = 0;
  bytesIn = 0;
  /** Changed since the last snapshot. */
  dirty = true;
  /** The IPv4 source address of its last packet, already in `ips`: most packets repeat it (-1: none). */
  lastV4 = -1;

  constructor(mac: string, macHi: number, macLo: number, tsUs: number) {
    this.mac = mac;
    this.macHi = macHi;
    this.macLo = macLo;
    this.firstUs = this.lastUs = tsUs;
  }
}

const isUnicast = (b: Uint8Array, o: number): boolean => (b[o]! & 0x01) === 0;
const isUnspecified = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';

function better(have: Name | undefined, source: NameSource): boolean {
  return have === undefined || NameRank[source] >= NameRank[have.source];
}

export class HostInventory {
  readonly #hosts = new Map<number, Host>();
  readonly #text = new AddressTextCache();
  readonly #byMac = new Map<string, Name>();
  readonly #byIp = new Map<string, Name>();
  readonly #dhcpByMac = new Map<string, DhcpClient>();
  /**
   * The two devices looked up last: most frames go between the same two (a host and its gateway), and
   * checking them first spares a Map lookup with a 48-bit key, which V8 boxes, per MAC.
   */
  #recent: Host | null = null;
  #previous: Host | null = null;
  /** Devices dropped to stay within MAX_HOSTS. */
  evicted = 0;

  /** One decoded frame, captured up to `end` in `b`, of `wireLen` bytes at `tsUs`. */
  packet(b: Uint8Array, end: number, d: DecodedPacket, tsUs: number, wireLen: number): void {
    const src = d.macSrcOff;
    if (src < 0) return;
    if (isUnicast(b, src)) {
      const hi = u16be(b, src);
      const lo = u32be(b, src + 2);
      let h = this.#lookup(hi, lo);
      if (h === undefined) {
        if (this.#hosts.size >= MAX_HOSTS) this.#evictOldest();
        h = new Host(macText(b, src), hi, lo, tsUs);
        this.#hosts.set(hi * 0x1_0000_0000 + lo, h);
      }
      h.pktsOut++;
      h.bytesOut += wireLen;
      this.#seen(h, tsUs);
      if (!h.router) this.#sourceAddress(h, b, end, d);
    }
    const dst = d.macDstOff;
    if (dst >= 0 && isUnicast(b, dst)) {
      const h = this.#lookup(u16be(b, dst), u32be(b, dst + 2));
      if (h !== undefined) {
        h.pktsIn++;
        h.bytesIn += wireLen;
        this.#seen(h, tsUs);
      }
    }
  }

  /**
   * Names and client details from application records: DHCP's host name (else FQDN), vendor class and
   * fingerprint, DHCPv6's FQDN and vendor class (mDNS and NetBIOS names come by `name`).
   */
  appLog(stream: string, log: object): void {
    if (stream === 'dhcp') {
      const r = log as DhcpLog;
      if (r.mac === null) return;
      const name = r.host_name !== null && r.host_name !== '' ? r.host_name : r.client_fqdn;
      if (name !== null && name !== '') this.name(r.mac, null, name, 'dhcp');
      this.#dhcpClient(r.mac, r.client_software, r.fingerprint);
    } else if (stream === 'dhcpv6') {
      const r = log as Dhcpv6Log;
      if (r.mac === null) return;
      if (r.client_fqdn !== null && r.client_fqdn !== '') this.name(r.mac, null, r.client_fqdn, 'dhcp');
      this.#dhcpClient(r.mac, r.vendor_class, null);
    }
  }

  #dhcpClient(mac: string, vendorClass: string | null, fingerprint: string | null): void {
    if (vendorClass === null && fingerprint === null) return;
    let c = this.#dhcpByMac.get(mac);
    if (c === undefined) {
      if (this.#dhcpByMac.size >= MAX_NAMED) return;
      c = { vendorClass: null, fingerprint: null };
      this.#dhcpByMac.set(mac, c);
    }
    c.vendorClass = vendorClass ?? c.vendorClass;
    c.fingerprint = fingerprint ?? c.fingerprint;
    for (const h of this.#hosts.values()) if (h.mac === mac) h.dirty = true;
  }

  /** Remembers a name for a MAC or an address (bounded: names beyond MAX_NAMED are dropped). */
  name(mac: string | null, ip: string | null, text: string, source: NameSource): void {
    const map = mac !== null ? this.#byMac : this.#byIp;
    const key = mac ?? ip;
    if (key === null) return;
    const have = map.get(key);
    if (have?.text === text || !better(have, source) || (have === undefined && map.size >= MAX_NAMED)) return;
    map.set(key, { text, source });
    for (const h of this.#hosts.values())
      if (h.mac === mac || (ip !== null && h.ips.includes(ip))) h.dirty = true;
  }

  /** Records of the devices changed since the last snapshot (all of them when `all`). */
  snapshot(all: boolean): HostsLog[] {
    const out: HostsLog[] = [];
    for (const h of this.#hosts.values()) {
      if (!all && !h.dirty) continue;
      h.dirty = false;
      const name = this.#nameOf(h);
      const dhcp = this.#dhcpByMac.get(h.mac);
      out.push({
        mac: h.mac,
        ips: [...h.ips],
        router: h.router,
        vendor: macVendor(h.mac),
        host_name: name?.text ?? null,
        name_source: name?.source ?? null,
        dhcp_vendor_class: dhcp?.vendorClass ?? null,
        dhcp_fingerprint: dhcp?.fingerprint ?? null,
        first_seen: h.firstUs,
        last_seen: h.lastUs,
        pkts_out: h.pktsOut,
        bytes_out: h.bytesOut,
        pkts_in: h.pktsIn,
        bytes_in: h.bytesIn,
      });
    }
    return out;
  }

  /** A new capture starts: its devices are counted afresh. */
  clear(): void {
    this.#hosts.clear();
    this.#recent = this.#previous = null;
    this.#byMac.clear();
    this.#byIp.clear();
    this.#dhcpByMac.clear();
  }

  get size(): number {
    return this.#hosts.size;
  }

  #nameOf(h: Host): Name | undefined {
    let best = this.#byMac.get(h.mac);
    for (const ip of h.ips) {
      const n = this.#byIp.get(ip);
      if (n !== undefined && better(best, n.source) && best?.source !== n.source) best = n;
    }
    return best;
  }

  #seen(h: Host, tsUs: number): void {
    if (tsUs < h.firstUs) h.firstUs = tsUs;
    if (tsUs > h.lastUs) h.lastUs = tsUs;
    h.dirty = true;
  }

  #sourceAddress(h: Host, b: Uint8Array, end: number, d: DecodedPacket): void {
    let ip: string;
    if (d.network === Network.IPv4) {
      const v4 = u32be(b, d.srcOff);
      if (v4 === h.lastV4) return;
      h.lastV4 = v4;
      ip = this.#text.ipv4(b, d.srcOff);
    } else if (d.network === Network.IPv6) ip = this.#text.ipv6(b, d.srcOff);
    else if (d.network === Network.ARP && d.arpOpcode >= 0) {
      // Ethernet/IPv4 ARP: the sender's protocol address follows its 6-byte hardware address.
      const o = d.l3Off;
      if (o + 18 > end) return;
      if (u16be(b, o) !== 1 || u16be(b, o + 2) !== 0x0800 || b[o + 4] !== 6 || b[o + 5] !== 4) return;
      ip = this.#text.ipv4(b, o + 14);
    } else return;
    if (isUnspecified(ip) || h.ips.includes(ip)) return;
    if (h.ips.length >= MAX_HOST_IPS) h.router = true;
    else h.ips.push(ip);
  }

  /** Drops the device seen first (a Map keeps insertion order: O(1), even under a MAC flood). */
  #lookup(hi: number, lo: number): Host | undefined {
    const r = this.#recent;
    if (r !== null && r.macLo === lo && r.macHi === hi) return r;
    const p = this.#previous;
    if (p !== null && p.macLo === lo && p.macHi === hi) {
      this.#previous = r;
      this.#recent = p;
      return p;
    }
    const h = this.#hosts.get(hi * 0x1_0000_0000 + lo);
    if (h !== undefined) {
      this.#previous = r;
      this.#recent = h;
    }
    return h;
  }

  #evictOldest(): void {
    const first = this.#hosts.keys().next();
    if (first.done === true) return;
    this.#hosts.delete(first.value);
    this.#recent = this.#previous = null;
    this.evicted++;
  }
}
