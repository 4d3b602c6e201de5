/**
 * The flow table: packets → bidirectional flows (STYLE.md E15). Keys live in typed arrays indexed by a
 * flow slot; an open-addressing hash index (linear probing, backward-shift deletion) maps the symmetric
 * tuple hash to a slot. Nothing is allocated per packet; one FlowState object is made per flow.
 *
 * Expiry runs on packet time, so a capture replays to the same flows every time:
 * - inactivity, per protocol (defaults as Zeek: tcp_inactivity_timeout 5 min, udp and icmp 1 min);
 * - age: a flow older than `maxAge` is ended and the next packet starts a new one (NetFlow's active
 *   timeout, 30 min by default; 0 disables);
 * - a hard cap on live flows: when full, the least recently active flow is ended (counted in `evicted`);
 * - TCP reuse: a SYN on a connection whose both sides closed or reset starts a new flow (Zeek does too);
 * - `flush()` ends everything, at the end of each capture.
 * Flows wait in one LRU list per protocol class (each list has one timeout, so its head is the next to
 * expire) and in one list by creation time (for the age limit).
 */
import { Network, type DecodedPacket } from '../decode/packet.js';
import { communityId } from './community-id.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, PacketTuple, readTuple } from './key.js';
import { TcpConn, TcpFlag } from './tcp.js';
import { UidGenerator } from './uid.js';

export interface FlowTableOptions {
  /** Live flows at most; beyond it the least recently active flow is ended. */
  readonly maxFlows?: number;
  /** Inactivity timeouts in seconds of packet time. */
  readonly tcpTimeout?: number;
  readonly udpTimeout?: number;
  readonly icmpTimeout?: number;
  readonly otherTimeout?: number;
  /** Flows older than this (seconds) are ended; 0 disables. */
  readonly maxAge?: number;
  /** Fixed seed for uids (reproducible uids); random by default. */
  readonly uidSeed?: number;
}

export const FLOW_DEFAULTS = {
  maxFlows: 1_000_000,
  tcpTimeout: 300,
  udpTimeout: 60,
  icmpTimeout: 60,
  otherTimeout: 60,
  maxAge: 1800,
} as const;

/** Fragments remembered (first fragment → flow) at once; older ones are overwritten. */
export const FRAG_SLOTS = 4096;
/** A fragment id maps to its flow this long (seconds), as Linux's ipfrag_time. */
export const FRAG_TIMEOUT = 30;
/** Expiry is checked when packet time has advanced this much (seconds) since the last check. */
const SWEEP_INTERVAL = 1;
const INITIAL_SLOTS = 1024;

export const EndReason = { Idle: 0, Age: 1, Evicted: 2, Reuse: 3, Flush: 4 } as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** Protocol classes, each with its own inactivity timeout and LRU list. */
const CLASS_TCP = 0;
const CLASS_UDP = 1;
const CLASS_ICMP = 2;
const CLASS_OTHER = 3;
const CLASSES = 4;

const origScratch = new Uint32Array(4);
const respScratch = new Uint32Array(4);

/** One flow: counters and state; made when the flow starts, handed to `onEnd` when it ends. */
export class FlowState {
  readonly uid: string;
  readonly v6: boolean;
  readonly proto: number;
  readonly vlan: number;
  /**
   * Originator/responder addresses as big-endian words (IPv4: the first word). Plain fields, not two small
   * typed arrays: those cost about 380 bytes more per flow. See origWords/respWords.
   */
  readonly #o0: number;
  readonly #o1: number;
  readonly #o2: number;
  readonly #o3: number;
  readonly #r0: number;
  readonly #r1: number;
  readonly #r2: number;
  readonly #r3: number;
  readonly origPort: number;
  readonly respPort: number;
  /** ICMP without a counterpart type (Community ID keeps its direction). */
  readonly oneWay: boolean;
  readonly firstSec: number;
  readonly firstNsec: number;
  lastSec: number;
  lastNsec: number;
  origPkts = 0;
  respPkts = 0;
  /** Payload bytes for non-TCP flows (TCP sizes come from sequence numbers). */
  origPayload = 0;
  respPayload = 0;
  origIpBytes = 0;
  respIpBytes = 0;
  readonly tcp: TcpConn | null;
  /** History letters of non-TCP flows (UDP: D/d). */
  history = '';
  histSeen = 0;
  service: string | null = null;
  /** Application-layer state, owned by src/app/dispatch.ts (null: not decided yet). */
  app: object | null = null;
  /** Payload-carrying packets the dispatcher has probed without finding a protocol. */
  appProbes = 0;
  endReason: EndReason = EndReason.Flush;
  /** Bumped when the slot is reused, so fragment entries never point at a later flow. */
  readonly gen: number;

  constructor(uid: string, t: PacketTuple, origIsSrc: boolean, sec: number, nsec: number, gen: number) {
    this.uid = uid;
    this.v6 = t.v6;
    this.proto = t.proto;
    this.vlan = t.vlan;
    const o = origIsSrc ? t.src : t.dst;
    const r = origIsSrc ? t.dst : t.src;
    this.#o0 = o[0]!;
    this.#o1 = o[1]!;
    this.#o2 = o[2]!;
    this.#o3 = o[3]!;
    this.#r0 = r[0]!;
    this.#r1 = r[1]!;
    this.#r2 = r[2]!;
    this.#r3 = r[3]!;
    this.origPort = origIsSrc ? t.sport : t.dport;
    this.respPort = origIsSrc ? t.dport : t.sport;
    this.oneWay = t.oneWay;
    this.firstSec = this.lastSec = sec;
    this.firstNsec = this.lastNsec = nsec;
    this.tcp = t.proto === IPPROTO_TCP ? new TcpConn() : null;
    this.gen = gen;
  }

  get duration(): number {
    return this.lastSec - this.firstSec + (this.lastNsec - this.firstNsec) / 1e9;
  }

  /** Writes the originator's address words into `into` (4 words) and returns it. */
  origWords(into: Uint32Array): Uint32Array {
    into[0] = this.#o0;
    into[1] = this.#o1;
    into[2] = this.#o2;
    into[3] = this.#o3;
    return into;
  }

  /** Writes the responder's address words into `into` (4 words) and returns it. */
  respWords(into: Uint32Array): Uint32Array {
    into[0] = this.#r0;
    into[1] = this.#r1;
    into[2] = this.#r2;
    into[3] = this.#r3;
    return into;
  }

  /** Community ID v1, seed 0. Computed on demand (once per flow, when it is logged). */
  communityId(): string {
    return communityId(
      this.v6,
      this.proto,
      this.origWords(origScratch),
      this.origPort,
      this.respWords(respScratch),
      this.respPort,
      this.oneWay,
    );
  }
}

export interface FlowTableStats {
  flowsCreated: number;
  flowsEnded: number;
  expiredIdle: number;
  expiredAge: number;
  evicted: number;
  reused: number;
  /** IP packets that belong to no flow: TCP/UDP without readable ports, ICMP without a type. */
  unkeyed: number;
  /** Non-first fragments attributed to the flow of their first fragment. */
  fragmentsAttributed: number;
  /** Non-first fragments whose first fragment was not seen (or was forgotten). */
  fragmentsOrphaned: number;
  liveFlows: number;
  peakFlows: number;
}

export class FlowTable {
  readonly #onEnd: (f: FlowState) => void;
  readonly #maxFlows: number;
  readonly #timeout: Float64Array;
  readonly #maxAge: number;
  readonly #uids: UidGenerator;
  readonly #t = new PacketTuple();

  // Per slot (capacity grows by doubling up to maxFlows):
  #cap = 0;
  #flows: (FlowState | undefined)[] = [];
  /** Key: side A then side B, 4 words each; A is the lower (address, port) end. */
  #keyAddr = new Uint32Array(0);
  /** portA << 16 | portB */
  #keyPorts = new Uint32Array(0);
  /** proto | v6 << 8 | (vlan + 1) << 9 */
  #keyMeta = new Int32Array(0);
  #keyHash = new Uint32Array(0);
  /** Which key side (1: A) is the originator. */
  #origIsA = new Uint8Array(0);
  #gen = new Uint32Array(0);
  #lastSeen = new Float64Array(0);
  #firstSeen = new Float64Array(0);
  #cls = new Uint8Array(0);
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #agePrev = new Int32Array(0);
  #ageNext = new Int32Array(0);
  #free = new Int32Array(0);
  #freeTop = 0;
  readonly #head = new Int32Array(CLASSES).fill(-1);
  readonly #tail = new Int32Array(CLASSES).fill(-1);
  #ageHead = -1;
  #ageTail = -1;

  /** Hash index: slot + 1, 0 when empty. */
  #index = new Int32Array(0);
  #mask = 0;

  // Fragment table, direct-mapped.
  readonly #fragKey = new Uint32Array(FRAG_SLOTS * 10); // src 4 words, dst 4 words, id, proto
  readonly #fragFlow = new Int32Array(FRAG_SLOTS).fill(-1);
  readonly #fragGen = new Uint32Array(FRAG_SLOTS);
  readonly #fragOrig = new Uint8Array(FRAG_SLOTS);
  readonly #fragTime = new Float64Array(FRAG_SLOTS);
  readonly #fragScratch = new Uint32Array(10);

  #clock = -Infinity;
  #nextSweep = -Infinity;
  #live = 0;
  readonly stats: FlowTableStats = {
    flowsCreated: 0,
    flowsEnded: 0,
    expiredIdle: 0,
    expiredAge: 0,
    evicted: 0,
    reused: 0,
    unkeyed: 0,
    fragmentsAttributed: 0,
    fragmentsOrphaned: 0,
    liveFlows: 0,
    peakFlows: 0,
  };

  constructor(onEnd: (f: FlowState) => void, options: FlowTableOptions = {}) {
    this.#onEnd = onEnd;
    this.#maxFlows = Math.max(1, Math.floor(options.maxFlows ?? FLOW_DEFAULTS.maxFlows));
    this.#timeout = new Float64Array([
      options.tcpTimeout ?? FLOW_DEFAULTS.tcpTimeout,
      options.udpTimeout ?? FLOW_DEFAULTS.udpTimeout,
      options.icmpTimeout ?? FLOW_DEFAULTS.icmpTimeout,
      options.otherTimeout ?? FLOW_DEFAULTS.otherTimeout,
    ]);
    this.#maxAge = options.maxAge ?? FLOW_DEFAULTS.maxAge;
    this.#uids = new UidGenerator(options.uidSeed);
    this.#grow(Math.min(INITIAL_SLOTS, this.#maxFlows));
  }

  get liveFlows(): number {
    return this.#live;
  }

  /** Whether the packet last passed to `packet` came from its flow's originator. */
  isOrig = false;

  /**
   * One decoded frame (call only for IPv4/IPv6 packets). `b` holds the frame; `sec`/`nsec` is its time
   * (`hasTs` false: the time of the previous packet). Sync, allocation-free except when a flow starts.
   * Returns the packet's flow (its direction in `isOrig`), or null when the packet has no flow of its own
   * (unkeyed, or a non-first fragment: those carry no transport header).
   */
  packet(b: Uint8Array, d: DecodedPacket, sec: number, nsec: number, hasTs: boolean): FlowState | null {
    if (hasTs) {
      const now = sec + nsec * 1e-9;
      if (now > this.#clock) {
        this.#clock = now;
        if (now >= this.#nextSweep) this.#sweep(now);
      }
    }
    // Frames without a time (pcapng Simple Packet Blocks) take the last time seen, 0 before any.
    const now = this.#clock === -Infinity ? 0 : this.#clock;
    if (d.l3Off < 0) return null;
    const v6 = d.network === Network.IPv6;
    const l3 = d.l3Off;
    // IP length as its header says (Zeek's ip_bytes), not the captured length.
    let ipEnd: number;
    if (v6) {
      const plen = (b[l3 + 4]! << 8) | b[l3 + 5]!;
      ipEnd = plen === 0 ? d.payloadEnd : l3 + 40 + plen;
    } else {
      const total = (b[l3 + 2]! << 8) | b[l3 + 3]!;
      ipEnd = total === 0 ? d.payloadEnd : l3 + total;
    }

    if (d.fragOffset !== 0) {
      this.#laterFragment(b, d, v6, ipEnd, now, hasTs ? sec : -1, nsec);
      return null;
    }
    const t = this.#t;
    if (!readTuple(b, d, t)) {
      this.stats.unkeyed++;
      return null;
    }
    const proto = t.proto;
    const tcpFlags = proto === IPPROTO_TCP ? d.tcpFlags : -1;
    let slot = this.#lookup(t);
    if (slot >= 0 && tcpFlags >= 0 && (tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
      const f = this.#flows[slot]!;
      if (f.tcp!.finished) {
        this.stats.reused++;
        this.#end(slot, EndReason.Reuse);
        slot = -1;
      }
    }
    if (slot < 0) {
      // The originator sends the first packet; a SYN-ACK seen first was answering the other side's SYN.
      const flip = tcpFlags >= 0 && (tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
      slot = this.#create(t, !flip, hasTs ? sec : Math.floor(now), hasTs ? nsec : 0, now);
      if (flip) this.#flows[slot]!.tcp!.history = '^';
    }
    const f = this.#flows[slot]!;
    const isOrig = (t.srcIsA ? 1 : 0) === this.#origIsA[slot];
    this.isOrig = isOrig;
    if (hasTs) {
      f.lastSec = sec;
      f.lastNsec = nsec;
    }
    this.#touch(slot, now);
    const ipBytes = ipEnd - l3;
    if (isOrig) {
      f.origPkts++;
      f.origIpBytes += ipBytes;
    } else {
      f.respPkts++;
      f.respIpBytes += ipBytes;
    }
    const l4 = d.l4Off;
    if (proto === IPPROTO_TCP) {
      if (tcpFlags >= 0) {
        const hl = (b[l4 + 12]! >>> 4) << 2;
        const len = ipEnd - l4 - hl;
        const seq = ((b[l4 + 4]! << 24) | (b[l4 + 5]! << 16) | (b[l4 + 6]! << 8) | b[l4 + 7]!) >>> 0;
        const ack = ((b[l4 + 8]! << 24) | (b[l4 + 9]! << 16) | (b[l4 + 10]! << 8) | b[l4 + 11]!) >>> 0;
        const win = (b[l4 + 14]! << 8) | b[l4 + 15]!;
        f.tcp!.packet(isOrig, tcpFlags, seq, ack, len > 0 ? len : 0, win);
      }
    } else {
      let payload: number;
      if (proto === IPPROTO_UDP) {
        const ulen = d.payloadEnd - l4 >= 8 ? (b[l4 + 4]! << 8) | b[l4 + 5]! : 0;
        payload = ulen >= 8 ? ulen - 8 : d.payloadEnd - d.payloadOff;
        // Zeek's UDP history: D/d once per direction.
        const bit = isOrig ? 1 : 2;
        if ((f.histSeen & bit) === 0) {
          f.histSeen |= bit;
          f.history += isOrig ? 'D' : 'd';
        }
      } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
        payload = ipEnd - l4 - 8;
      } else {
        payload = l4 >= 0 ? ipEnd - l4 : 0;
      }
      if (payload < 0) payload = 0;
      if (isOrig) f.origPayload += payload;
      else f.respPayload += payload;
    }
    if (d.moreFragments) this.#firstFragment(b, d, v6, slot, isOrig, now);
    return f;
  }

  /** Ends every flow (end of a capture). */
  flush(): void {
    for (let c = 0; c < CLASSES; c++) {
      while (this.#head[c]! >= 0) this.#end(this.#head[c]!, EndReason.Flush);
    }
    this.#clock = -Infinity;
    this.#nextSweep = -Infinity;
    this.#fragFlow.fill(-1);
  }

  // ---- expiry ----------------------------------------------------------------------------------------

  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_INTERVAL;
    for (let c = 0; c < CLASSES; c++) {
      const limit = now - this.#timeout[c]!;
      let s = this.#head[c]!;
      while (s >= 0 && this.#lastSeen[s]! < limit) {
        this.stats.expiredIdle++;
        this.#end(s, EndReason.Idle);
        s = this.#head[c]!;
      }
    }
    if (this.#maxAge > 0) {
      const limit = now - this.#maxAge;
      let s = this.#ageHead;
      while (s >= 0 && this.#firstSeen[s]! < limit) {
        this.stats.expiredAge++;
        this.#end(s, EndReason.Age);
        s = this.#ageHead;
      }
    }
  }

  #evictOne(): void {
    let best = -1;
    for (let c = 0; c < CLASSES; c++) {
      const h = this.#head[c]!;
      if (h >= 0 && (best < 0 || this.#lastSeen[h]! < this.#lastSeen[best]!)) best = h;
    }
    if (best >= 0) {
      this.stats.evicted++;
      this.#end(best, EndReason.Evicted);
    }
  }

  // ---- slots, lists, index ---------------------------------------------------------------------------

  #create(t: PacketTuple, origIsSrc: boolean, sec: number, nsec: number, now: number): number {
    if (this.#live >= this.#maxFlows) this.#evictOne();
    if (this.#freeTop === 0) this.#grow(Math.min(this.#cap * 2, this.#maxFlows));
    const s = this.#free[--this.#freeTop]!;
    const k = s * 8;
    const a = t.srcIsA ? t.src : t.dst;
    const bb = t.srcIsA ? t.dst : t.src;
    const ka = this.#keyAddr;
    ka[k] = a[0]!;
    ka[k + 1] = a[1]!;
    ka[k + 2] = a[2]!;
    ka[k + 3] = a[3]!;
    ka[k + 4] = bb[0]!;
    ka[k + 5] = bb[1]!;
    ka[k + 6] = bb[2]!;
    ka[k + 7] = bb[3]!;
    this.#keyPorts[s] = t.srcIsA ? ((t.sport << 16) | t.dport) >>> 0 : ((t.dport << 16) | t.sport) >>> 0;
    this.#keyMeta[s] = t.proto | (t.v6 ? 256 : 0) | ((t.vlan + 1) << 9);
    this.#keyHash[s] = t.hash;
    this.#origIsA[s] = t.srcIsA === origIsSrc ? 1 : 0;
    const gen = ++this.#gen[s]!;
    this.#flows[s] = new FlowState(this.#uids.next(sec), t, origIsSrc, sec, nsec, gen);
    const c =
      t.proto === IPPROTO_TCP
        ? CLASS_TCP
        : t.proto === IPPROTO_UDP
          ? CLASS_UDP
          : t.proto === IPPROTO_ICMP || t.proto === IPPROTO_ICMPV6
            ? CLASS_ICMP
            : CLASS_OTHER;
    this.#cls[s] = c;
    this.#firstSeen[s] = now;
    this.#lastSeen[s] = now;
    // Append to its class list and the age list.
    this.#prev[s] = this.#tail[c]!;
    this.#next[s] = -1;
    if (this.#tail[c]! >= 0) this.#next[this.#tail[c]!] = s;
    else this.#head[c] = s;
    this.#tail[c] = s;
    this.#agePrev[s] = this.#ageTail;
    this.#ageNext[s] = -1;
    if (this.#ageTail >= 0) this.#ageNext[this.#ageTail] = s;
    else this.#ageHead = s;
    this.#ageTail = s;
    // Index it.
    let i = t.hash & this.#mask;
    while (this.#index[i] !== 0) i = (i + 1) & this.#mask;
    this.#index[i] = s + 1;
    this.#live++;
    this.stats.flowsCreated++;
    if (this.#live > this.stats.peakFlows) this.stats.peakFlows = this.#live;
    this.stats.liveFlows = this.#live;
    return s;
  }

  #lookup(t: PacketTuple): number {
    const a = t.srcIsA ? t.src : t.dst;
    const bb = t.srcIsA ? t.dst : t.src;
    const ports = t.srcIsA ? ((t.sport << 16) | t.dport) >>> 0 : ((t.dport << 16) | t.sport) >>> 0;
    const meta = t.proto | (t.v6 ? 256 : 0) | ((t.vlan + 1) << 9);
    const hash = t.hash;
    const ka = this.#keyAddr;
    const index = this.#index;
    const mask = this.#mask;
    let i = hash & mask;
    for (;;) {
      const e = index[i]!;
      if (e === 0) return -1;
      const s = e - 1;
      if (this.#keyHash[s] === hash && this.#keyPorts[s] === ports && this.#keyMeta[s] === meta) {
        const k = s * 8;
        if (
          ka[k] === a[0] &&
          ka[k + 4] === bb[0] &&
          ka[k + 1] === a[1] &&
          ka[k + 2] === a[2] &&
          ka[k + 3] === a[3] &&
          ka[k + 5] === bb[1] &&
          ka[k + 6] === bb[2] &&
          ka[k + 7] === bb[3]
        )
          return s;
      }
      i = (i + 1) & mask;
    }
  }

  /** Moves a flow to the tail of its LRU list. */
  #touch(s: number, now: number): void {
    this.#lastSeen[s] = now;
    const c = this.#cls[s]!;
    if (this.#tail[c] === s) return;
    const p = this.#prev[s]!;
    const n = this.#next[s]!;
    if (p >= 0) this.#next[p] = n;
    else this.#head[c] = n;
    this.#prev[n] = p; // n >= 0: s is not the tail
    this.#prev[s] = this.#tail[c]!;
    this.#next[s] = -1;
    this.#next[this.#tail[c]!] = s;
    this.#tail[c] = s;
  }

  #end(s: number, reason: EndReason): void {
    const f = this.#flows[s]!;
    f.endReason = reason;
    this.#flows[s] = undefined;
    const c = this.#cls[s]!;
    const p = this.#prev[s]!;
    const n = this.#next[s]!;
    if (p >= 0) this.#next[p] = n;
    else this.#head[c] = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail[c] = p;
    const ap = this.#agePrev[s]!;
    const an = this.#ageNext[s]!;
    if (ap >= 0) this.#ageNext[ap] = an;
    else this.#ageHead = an;
    if (an >= 0) this.#agePrev[an] = ap;
    else this.#ageTail = ap;
    this.#unindex(s);
    this.#free[this.#freeTop++] = s;
    this.#live--;
    this.stats.liveFlows = this.#live;
    this.stats.flowsEnded++;
    this.#onEnd(f);
  }

  /** Removes slot s from the index: backward-shift deletion keeps every probe chain unbroken. */
  #unindex(s: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = this.#keyHash[s]! & mask;
    while (index[i] !== s + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = this.#keyHash[e - 1]! & mask;
      // Move e back into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = e;
        i = j;
      }
    }
    index[i] = 0;
  }

  #grow(cap: number): void {
    const old = this.#cap;
    if (cap <= old) return;
    const grow = <T extends Uint32Array | Int32Array | Uint8Array | Float64Array>(
      a: T,
      make: (n: number) => T,
      per = 1,
    ): T => {
      const b = make(cap * per);
      b.set(a as never);
      return b;
    };
    this.#keyAddr = grow(this.#keyAddr, (n) => new Uint32Array(n), 8);
    this.#keyPorts = grow(this.#keyPorts, (n) => new Uint32Array(n));
    this.#keyMeta = grow(this.#keyMeta, (n) => new Int32Array(n));
    this.#keyHash = grow(this.#keyHash, (n) => new Uint32Array(n));
    this.#origIsA = grow(this.#origIsA, (n) => new Uint8Array(n));
    this.#gen = grow(this.#gen, (n) => new Uint32Array(n));
    this.#lastSeen = grow(this.#lastSeen, (n) => new Float64Array(n));
    this.#firstSeen = grow(this.#firstSeen, (n) => new Float64Array(n));
    this.#cls = grow(this.#cls, (n) => new Uint8Array(n));
    this.#prev = grow(this.#prev, (n) => new Int32Array(n));
    this.#next = grow(this.#next, (n) => new Int32Array(n));
    this.#agePrev = grow(this.#agePrev, (n) => new Int32Array(n));
    this.#ageNext = grow(this.#ageNext, (n) => new Int32Array(n));
    const free = new Int32Array(cap);
    free.set(this.#free.subarray(0, this.#freeTop));
    // New slots are taken lowest first.
    for (let s = cap - 1; s >= old; s--) free[this.#freeTop++] = s;
    this.#free = free;
    for (let s = old; s < cap; s++) this.#flows.push(undefined);
    this.#cap = cap;
    // Index at most half full.
    let size = 16;
    while (size < cap * 2) size *= 2;
    this.#index = new Int32Array(size);
    this.#mask = size - 1;
    for (let s = 0; s < old; s++) {
      if (this.#flows[s] === undefined) continue;
      let i = this.#keyHash[s]! & this.#mask;
      while (this.#index[i] !== 0) i = (i + 1) & this.#mask;
      this.#index[i] = s + 1;
    }
  }

  // ---- fragments -------------------------------------------------------------------------------------

  /** Fills the fragment scratch key (src, dst, id, proto) and returns its table slot, or -1. */
  #fragKeyOf(b: Uint8Array, d: DecodedPacket, v6: boolean): number {
    const k = this.#fragScratch;
    let id: number;
    if (v6) {
      const fh = fragmentHeaderOffset(b, d);
      if (fh < 0) return -1;
      id = ((b[fh + 4]! << 24) | (b[fh + 5]! << 16) | (b[fh + 6]! << 8) | b[fh + 7]!) >>> 0;
      for (let i = 0; i < 4; i++) {
        k[i] = wordAt(b, d.srcOff + 4 * i);
        k[4 + i] = wordAt(b, d.dstOff + 4 * i);
      }
    } else {
      id = (b[d.l3Off + 4]! << 8) | b[d.l3Off + 5]!;
      k[0] = wordAt(b, d.srcOff);
      k[4] = wordAt(b, d.dstOff);
      k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
    }
    k[8] = id;
    k[9] = d.ipProto | (v6 ? 256 : 0);
    let h = 0x811c9dc5;
    for (let i = 0; i < 10; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    return (h ^ (h >>> 15)) & (FRAG_SLOTS - 1);
  }

  #firstFragment(
    b: Uint8Array,
    d: DecodedPacket,
    v6: boolean,
    slot: number,
    isOrig: boolean,
    now: number,
  ): void {
    const fs = this.#fragKeyOf(b, d, v6);
    if (fs < 0) return;
    this.#fragKey.set(this.#fragScratch, fs * 10);
    this.#fragFlow[fs] = slot;
    this.#fragGen[fs] = this.#gen[slot]!;
    this.#fragOrig[fs] = isOrig ? 1 : 0;
    this.#fragTime[fs] = now;
  }

  /**
   * A non-first fragment: its IP payload bytes go to the flow of its first fragment (Zeek counts the
   * reassembled datagram: one packet, its IP length). Fragments whose first part was not seen are counted.
   */
  #laterFragment(
    b: Uint8Array,
    d: DecodedPacket,
    v6: boolean,
    ipEnd: number,
    now: number,
    sec: number,
    nsec: number,
  ): void {
    const fs = this.#fragKeyOf(b, d, v6);
    const slot = fs < 0 ? -1 : this.#fragFlow[fs]!;
    if (slot < 0 || now - this.#fragTime[fs]! > FRAG_TIMEOUT || this.#gen[slot] !== this.#fragGen[fs]) {
      this.stats.fragmentsOrphaned++;
      return;
    }
    const k = this.#fragKey;
    const q = this.#fragScratch;
    for (let i = 0; i < 10; i++) {
      if (k[fs * 10 + i] !== q[i]) {
        this.stats.fragmentsOrphaned++;
        return;
      }
    }
    const f = this.#flows[slot];
    if (f === undefined) {
      this.stats.fragmentsOrphaned++;
      return;
    }
    this.stats.fragmentsAttributed++;
    const bytes = ipEnd - d.payloadOff > 0 ? ipEnd - d.payloadOff : 0;
    if (this.#fragOrig[fs] === 1) f.origIpBytes += bytes;
    else f.respIpBytes += bytes;
    if (sec >= 0) {
      f.lastSec = sec;
      f.lastNsec = nsec;
    }
    this.#touch(slot, now);
  }
}

const wordAt = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Walks the IPv6 extension headers to the fragment header; its offset, or -1. Bounded by MAX_EXT. */
function fragmentHeaderOffset(b: Uint8Array, d: DecodedPacket): number {
  const MAX_EXT = 8;
  let nh = b[d.l3Off + 6]!;
  let p = d.l3Off + 40;
  const end = d.payloadEnd;
  for (let n = 0; n < MAX_EXT; n++) {
    if (nh === 44) return p + 8 <= end ? p : -1;
    if (nh !== 0 && nh !== 43 && nh !== 60) return -1;
    if (p + 2 > end) return -1;
    nh = b[p]!;
    p += (b[p + 1]! + 1) << 3;
  }
  return -1;
}
