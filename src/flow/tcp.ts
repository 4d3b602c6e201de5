/**
 * TCP connection state and history as Zeek computes them (src/analyzer/protocol/tcp/TCP.cc,
 * TCP_Endpoint.cc, and conn_state() in base/protocols/conn/main.zeek), without reassembly: endpoint states,
 * sequence-space sizes (conn.log orig_bytes/resp_bytes), history letters, conn_state.
 *
 * History letters (upper case: originator, lower case: responder), Zeek's rules:
 * - S a SYN without ACK, H a SYN+ACK, A a pure ACK, D a packet with payload, F a FIN, R a RST,
 *   I a packet with FIN and RST, Q another multi-flag packet (SYN+FIN, SYN+RST), T a retransmission
 *   (payload not advancing the sequence), W a zero window, ^ the roles were flipped.
 * - A, D, I, Q are recorded at most once per direction; S, H, F, R again only when the sequence number
 *   differs from the last packet with that flag; T and W logarithmically (1st, 10th, 100th… occurrence).
 * - Not produced: C (bad checksum: checksums are not verified), G (content gap: needs reassembly).
 *
 * All sequence values are kept unwrapped in doubles (exact to 2^53), so no wrap counters are needed.
 */

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** Zeek's TCP_ENDPOINT_* states. */
export const EpState = {
  Inactive: 0,
  SynSent: 1,
  SynAckSent: 2,
  Partial: 3,
  Established: 4,
  Closed: 5,
  Reset: 6,
} as const;
export type EpState = (typeof EpState)[keyof typeof EpState];

/** Zeek ignores sequence jumps larger than this in SYN/RST packets (TOO_LARGE_SEQ_DELTA). */
const TOO_LARGE_SEQ_DELTA = 1048576;
const TWO_32 = 4294967296;

/** Signed distance a - b in 32-bit sequence space. */
const seqDelta = (a: number, b: number): number => (a - b) | 0;
/** The unwrapped value of the 32-bit `cur` closest to the unwrapped reference `ref`. */
const unwrap = (cur: number, ref: number): number => ref + seqDelta(cur, ref % TWO_32);

/** Per-direction history bits (Zeek's HIST_*); the responder's are shifted left by 16. */
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_ACK = 0x10;
const HIST_DATA = 0x20;
const HIST_MULTI_FLAG = 0x40;

export class TcpEndpoint {
  state: EpState = EpState.Inactive;
  prevState: EpState = EpState.Inactive;
  /** Unwrapped initial sequence number (for partial connections one before the first seen). */
  start = 0;
  /** Unwrapped sequence number one past the highest segment sent. */
  last = 0;
  /** Unwrapped highest ack the peer sent for this endpoint's data. */
  ack = 0;
  finCnt = 0;
  histLastSyn = -1;
  histLastFin = -1;
  histLastRst = -1;
  rxmitCnt = 0;
  rxmitThresh = 1;
  zeroWinCnt = 0;
  zeroWinThresh = 1;

  setState(s: EpState): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /** Zeek's TCP_Endpoint::NoDataAcked. */
  noDataAcked(): boolean {
    return this.ack === this.start || this.ack === this.start + 1;
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes by sequence numbers (conn.log orig_bytes/resp_bytes). */
  size(peer: TcpEndpoint): number {
    if (
      this.prevState === EpState.SynSent &&
      this.state === EpState.Reset &&
      peer.state === EpState.Inactive &&
      !this.noDataAcked()
    )
      return 0; // a half-open connection found and aborted: its sequence numbers are not trustworthy
    let size = (this.last > this.ack ? this.last : this.ack) - this.start;
    if (size > 0) size--; // the SYN's sequence number
    if (this.finCnt > 0 && size > 0) size--; // the FIN's
    return size > 0 ? size : 0;
  }
}

/** The TCP part of a flow: both endpoints and the history. One per TCP flow, reused by reset(). */
export class TcpConn {
  readonly orig = new TcpEndpoint();
  readonly resp = new TcpEndpoint();
  history = '';
  histSeen = 0;

  #check(isOrig: boolean, mask: number, code: string): boolean {
    const m = isOrig ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.history += isOrig ? code : code.toLowerCase();
      return false;
    }
    return true;
  }

  #add(isOrig: boolean, code: string): void {
    this.history += isOrig ? code : code.toLowerCase();
  }

  /**
   * One TCP segment. `seq`/`ack` are the raw 32-bit header fields, `len` the payload length by the IP
   * length (not the captured bytes), `window` the raw window field.
   */
  packet(isOrig: boolean, flags: number, seq: number, ack: number, len: number, window: number): void {
    const ep = isOrig ? this.orig : this.resp;
    const peer = isOrig ? this.resp : this.orig;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;

    let segLen = len;
    if (syn) segLen++;
    if (fin) segLen++;
    if (rst) segLen -= len;
    const seqEnd = (seq + segLen) >>> 0;

    // init_endpoint
    switch (ep.state) {
      case EpState.Inactive:
        if (syn) {
          ep.start = seq;
          ep.ack = seq;
          ep.last = unwrap(seqEnd, seq);
        } else {
          // A partial connection: number as though a SYN had been seen, and do not take the first
          // packet for a retransmission.
          ep.start = seq - 1 + (seq === 0 ? TWO_32 : 0);
          ep.ack = ep.start;
          ep.last = ep.start + 1;
        }
        break;
      case EpState.SynSent:
      case EpState.SynAckSent:
        if (syn && seq !== ep.start % TWO_32) this.#initSeqs(ep, seq, seqEnd);
        break;
      case EpState.Established:
      case EpState.Partial:
        if (syn) this.#initSeqs(ep, seq, seqEnd);
        break;
      case EpState.Reset:
        if (syn && ep.prevState === EpState.Inactive) this.#initSeqs(ep, seq, seqEnd);
        break;
      default:
        break;
    }

    const relSeq = unwrap(seq, ep.last) - ep.start;
    this.#updateHistory(isOrig, ep, flags, relSeq, len);

    // update_window: zero windows count unless they come with or after a RST, or after the peer's FIN.
    if (window === 0 && !rst && peer.state !== EpState.Closed && ep.state !== EpState.Reset) {
      if (++ep.zeroWinCnt === ep.zeroWinThresh) {
        this.#add(isOrig, 'W');
        ep.zeroWinThresh *= 10;
      }
    }
    if (fin) ep.finCnt++;

    if (hasAck) {
      if (peer.state === EpState.Inactive) {
        // init_peer: number the peer's sequence space as if its SYN had been seen.
        const s = ack - 1 + (ack === 0 ? TWO_32 : 0);
        peer.start = s;
        peer.ack = s;
        peer.last = s;
      } else if (!rst && unwrap(ack, peer.ack) - peer.start >= 0) {
        // update_ack_seq (acks in RSTs are not trusted; an ack below the start is an underflow)
        const d = seqDelta(ack, peer.ack % TWO_32);
        if (!(ack === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) peer.ack += d;
      }
    }

    // update_last_seq
    const deltaLast = seqDelta(seqEnd, ep.last % TWO_32);
    if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // a wild SYN/RST sequence number: ignored
    } else if (fin && ep.last === ep.start + 1) {
      ep.last += (seqEnd - (ep.last % TWO_32) + TWO_32) % TWO_32; // forward, even if "behind"
    } else if (ep.state === EpState.Reset) {
      // no sequence numbers are trusted after a RST
    } else if (deltaLast > 0) {
      ep.last += deltaLast;
    } else if (len > 0) {
      if (++ep.rxmitCnt === ep.rxmitThresh) {
        this.#add(isOrig, 'T');
        ep.rxmitThresh *= 10;
      }
    }

    this.#stateMachine(isOrig, ep, peer, flags, seq, len);
  }

  #initSeqs(ep: TcpEndpoint, seq: number, seqEnd: number): void {
    ep.start = seq;
    ep.ack = seq;
    ep.last = unwrap(seqEnd, seq);
  }

  #updateHistory(isOrig: boolean, ep: TcpEndpoint, flags: number, relSeq: number, len: number): void {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.#check(isOrig, HIST_FIN_RST, 'I');
      else this.#check(isOrig, HIST_MULTI_FLAG, 'Q');
    } else if (bits === 1) {
      if (syn) {
        const code = (flags & TcpFlag.ACK) !== 0 ? 'H' : 'S';
        if (this.#check(isOrig, HIST_SYN, code) && relSeq !== ep.histLastSyn) this.#add(isOrig, code);
        ep.histLastSyn = relSeq;
      }
      if (fin) {
        // A FIN's sequence number is at the end of its data.
        if (this.#check(isOrig, HIST_FIN, 'F') && relSeq + len !== ep.histLastFin) this.#add(isOrig, 'F');
        ep.histLastFin = relSeq + len;
      }
      if (rst) {
        if (this.#check(isOrig, HIST_RST, 'R') && relSeq !== ep.histLastRst) this.#add(isOrig, 'R');
        ep.histLastRst = relSeq;
      }
    } else if (len > 0) {
      this.#check(isOrig, HIST_DATA, 'D');
    } else if ((flags & TcpFlag.ACK) !== 0) {
      this.#check(isOrig, HIST_ACK, 'A');
    }
  }

  /** Zeek's TCPSessionAdapter::UpdateStateMachine and the Update*State functions. */
  #stateMachine(
    isOrig: boolean,
    ep: TcpEndpoint,
    peer: TcpEndpoint,
    flags: number,
    seq: number,
    len: number,
  ): void {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    switch (ep.state) {
      case EpState.Inactive:
        if (syn) {
          if (isOrig) {
            ep.setState(hasAck ? EpState.SynAckSent : EpState.SynSent);
          } else {
            if (!hasAck && peer.state === EpState.SynAckSent && seq === ep.start % TWO_32) {
              // SYN/SYN-ACK reversal: Zeek flips the roles here; we keep them and establish.
              peer.setState(EpState.Established);
            }
            if (peer.state === EpState.SynSent) peer.setState(EpState.Established);
            ep.setState(EpState.Established);
          }
        }
        if (fin) ep.setState(EpState.Closed);
        if (rst) ep.setState(EpState.Reset);
        if (ep.state === EpState.Inactive) {
          if (!isOrig && len === 0 && this.orig.state === EpState.SynSent) {
            // an ack of the SYN before the SYN-ACK: not a partial connection
          } else if (hasAck && peer.state === EpState.Established) {
            ep.setState(EpState.Established); // the SYN was missed, the SYN-ACK seen
          } else {
            ep.setState(EpState.Partial);
          }
        }
        break;
      case EpState.SynSent:
      case EpState.SynAckSent:
        if (fin) ep.setState(EpState.Closed);
        if (rst) ep.setState(EpState.Reset);
        break;
      case EpState.Established:
      case EpState.Partial:
        if (syn && ep.state === EpState.Partial && peer.state === EpState.Inactive && !hasAck)
          ep.setState(EpState.SynSent);
        if (fin && !rst) {
          ep.setState(EpState.Closed);
          // A FIN then RST from the peer was a normal close after all.
          if (peer.state === EpState.Reset && peer.prevState === EpState.Closed)
            peer.setState(EpState.Closed);
        }
        if (rst) ep.setState(EpState.Reset);
        break;
      case EpState.Closed:
        // After a FIN exchange a RST does not change the state.
        if (rst && peer.state !== EpState.Closed) ep.setState(EpState.Reset);
        break;
      default:
        break;
    }
  }

  /** Both endpoints closed or reset: a new SYN starts a new connection (Zeek's connection reuse). */
  get finished(): boolean {
    const o = this.orig.state;
    const r = this.resp.state;
    return (
      (o === EpState.Closed || o === EpState.Reset) &&
      (r === EpState.Closed || r === EpState.Reset || r === EpState.Inactive)
    );
  }

  /**
   * conn_state as Zeek's conn_state() decides it from the endpoint states (base/protocols/conn/main.zeek):
   * S0 attempt, no reply; S1 established, not closed; SF normal close; REJ rejected; S2/S3 established,
   * only the originator/responder closed; RSTO/RSTR established, originator/responder aborted; RSTOS0
   * originator SYN then RST, no SYN-ACK; RSTRH responder SYN-ACK then RST, no SYN from the originator; SH
   * originator SYN then FIN, no SYN-ACK; SHR responder SYN-ACK then FIN, no SYN; OTH anything else
   * (midstream traffic, no SYN).
   */
  connState(origSize: number, respSize: number): string {
    const os = this.orig.state;
    const rs = this.resp.state;
    const oInactive = os === EpState.Inactive || os === EpState.Partial;
    const rInactive = rs === EpState.Inactive || rs === EpState.Partial;
    if (rs === EpState.Reset) {
      if (
        os === EpState.SynSent ||
        os === EpState.SynAckSent ||
        (os === EpState.Reset && origSize === 0 && respSize === 0)
      )
        return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === EpState.Reset) {
      if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(this.history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === EpState.Closed && os === EpState.Closed) return 'SF';
    if (os === EpState.Closed) return rInactive ? 'SH' : 'S2';
    if (rs === EpState.Closed) return oInactive ? 'SHR' : 'S3';
    if (os === EpState.SynSent && rs === EpState.Inactive) return 'S0';
    if (os === EpState.Established && rs === EpState.Established) return 'S1';
    return 'OTH';
  }
}
