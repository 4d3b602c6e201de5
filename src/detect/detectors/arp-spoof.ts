/**
 * arp_spoof: an IP address's MAC changes (a forged binding replacing the real one, the gateway's above all),
 * or one MAC sends unsolicited replies claiming several addresses (two-way poisoning, where the real
 * bindings may never be seen). src_ip is the address being claimed; the MACs are in the evidence.
 */
import { ipv4Text, isGroupOrZeroMac, macText } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import type { ArpEvent } from '../events.js';
import { CappedSet, round6 } from '../window.js';

interface Binding {
  mac: number;
  since: number;
  frame: number;
}

const validClaimer = (ev: ArpEvent): boolean =>
  !isGroupOrZeroMac(ev.senderMac) && (ev.ethSrc < 0 || ev.ethSrc === ev.senderMac);

export const arpSpoof = defineDetector({
  id: 'arp_spoof',
  description: "An IP's MAC changes, or one MAC claims several IPs in unsolicited replies",
  subscribes: ['arp'],
  defaults: { min_claimed_ips: 2, request_memory_s: 5 },
  docs: {
    min_claimed_ips: 'distinct addresses one MAC claims in unsolicited replies before alerting',
    request_memory_s: 'seconds a request is remembered, so the reply to it counts as solicited',
  },
  create(cfg, ctx) {
    const bindings = new Map<number, Binding>();
    /** Asked-for address → time of the last request. */
    const asked = new Map<number, number>();
    const claims = new Map<number, { first: number; ips: CappedSet<number> }>();
    const raise = (
      ev: ArpEvent,
      claimed: number,
      evidence: Record<string, unknown>,
      why: string,
      first: number,
      identifier: string,
    ): void => {
      ctx.emit({
        type: 'arp_spoof',
        severity: 'high',
        src: ipv4Text(claimed),
        dst: ipv4Text(ev.targetIp),
        first,
        ts: ev.ts,
        message: `${ipv4Text(claimed)} ${why}`,
        evidence: {
          claimed_ip: ipv4Text(claimed),
          mac: macText(ev.senderMac),
          eth_src: ev.ethSrc >= 0 ? macText(ev.ethSrc) : null,
          frame: ev.frame,
          ...evidence,
        },
        mitre: 'T1557.002',
        identifier,
      });
    };
    return {
      arp(ev) {
        if (ev.opcode === 1) boundedSet(asked, ev.targetIp, ev.ts);
        const ip = ev.senderIp;
        if (ip === 0) return; // ARP probe (RFC 5227): no claim yet
        // A sender MAC that is a group address, or that the frame's own source contradicts, is a damaged
        // or relayed packet, not a claim (spoofing tools send both fields alike).
        if (!validClaimer(ev)) return;
        const prev = bindings.get(ip);
        if (prev === undefined) {
          boundedSet(bindings, ip, { mac: ev.senderMac, since: ev.ts, frame: ev.frame });
        } else if (prev.mac !== ev.senderMac) {
          raise(
            ev,
            ip,
            {
              previous_mac: macText(prev.mac),
              previous_since: round6(prev.since),
              previous_frame: prev.frame,
            },
            `changed MAC: ${macText(prev.mac)} -> ${macText(ev.senderMac)}`,
            ev.ts,
            `ip/${ipv4Text(ip)}`,
          );
          prev.mac = ev.senderMac;
          prev.since = ev.ts;
          prev.frame = ev.frame;
        }
        if (ev.opcode !== 2 || ev.senderIp === ev.targetIp) return;
        const t = asked.get(ip);
        if (t !== undefined && ev.ts - t <= cfg.request_memory_s) return; // solicited
        let c = claims.get(ev.senderMac);
        if (c === undefined) {
          c = { first: ev.ts, ips: new CappedSet(64) };
          boundedSet(claims, ev.senderMac, c);
        }
        if (c.ips.add(ip) && c.ips.size >= cfg.min_claimed_ips)
          raise(
            ev,
            ip,
            { claimed_ips: c.ips.sample().map(ipv4Text) },
            `claimed by ${macText(ev.senderMac)} in unsolicited replies, with ${c.ips.size - 1} other address(es)`,
            c.first,
            `claims/${macText(ev.senderMac)}`,
          );
      },
      sweep(now) {
        for (const [k, t] of asked) if (now - t > cfg.request_memory_s) asked.delete(k);
      },
    };
  },
});
