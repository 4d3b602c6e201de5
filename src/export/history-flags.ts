/**
 * TCP flags as far as Zeek's history letters prove them, for exporters whose formats carry flag unions
 * (IPFIX tcpControlBits, EVE tcp_flags_ts/tc).
 */

/** TCP header flag bits (RFC 9293 §3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/**
 * Flags a Zeek history letter proves were seen (S: SYN, H: SYN-ACK, A: pure ACK, D: data, which TCP only
 * sends acknowledged, F: FIN, R: RST, Q: SYN+FIN). PSH, URG, ECE and CWR are not tracked.
 */
const FLAGS_BY_LETTER: Readonly<Record<string, number>> = {
  s: TCP_SYN,
  h: TCP_SYN | TCP_ACK,
  a: TCP_ACK,
  d: TCP_ACK,
  f: TCP_FIN,
  r: TCP_RST,
  q: TCP_SYN | TCP_FIN,
};

/** The union of one side's flags: the originator's (upper-case letters) or the responder's (lower-case). */
export function historyFlags(history: string | null, originator: boolean): number {
  if (history === null) return 0;
  let flags = 0;
  for (const letter of history) {
    const lower = letter.toLowerCase();
    if ((letter !== lower) === originator) flags |= FLAGS_BY_LETTER[lower] ?? 0;
  }
  return flags;
}
