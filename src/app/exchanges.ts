/**
 * Exchanges joined by transaction id across flows, for protocols whose client and server talk on different
 * UDP flows (DHCP and DHCPv6: a broadcast or multicast one way, unicast back). The table is bounded: when
 * it is full the oldest exchange is logged as it is, and whatever is left is logged at the end.
 */
import type { FlowState } from '../flow/table.js';
import type { AppContext, FlowParser } from './context.js';

/** Message types and flow uids kept per exchange. */
const MAX_MESSAGES = 32;
const MAX_UIDS = 8;

/** What every exchange keeps: its times, the flows it was seen on and its message types in order. */
export abstract class Exchange<L> {
  readonly firstUs: number;
  lastUs: number;
  readonly uids: string[] = [];
  readonly msgTypes: string[] = [];

  constructor(tsUs: number) {
    this.firstUs = this.lastUs = tsUs;
  }

  abstract toLog(): L;
}

export interface PendingExchangesOptions<X> {
  /** Exchanges waiting for their end at most. */
  readonly max: number;
  readonly create: (xid: number, tsUs: number) => X;
  /** Logs an exchange (at its end, when the table is full, at the end of the capture). */
  readonly emit: (x: X) => void;
  /** Called when the table is full and its oldest exchange is logged early (an anomaly to count). */
  readonly onFull: () => void;
}

export class PendingExchanges<X extends Exchange<unknown>> {
  readonly #byXid = new Map<number, X>();
  readonly #opts: PendingExchangesOptions<X>;

  constructor(opts: PendingExchangesOptions<X>) {
    this.#opts = opts;
  }

  /** The exchange of `xid` (made when new), with this message's time, flow and type recorded. */
  seen(xid: number, tsUs: number, flow: FlowState, msgType: string): X {
    const pending = this.#byXid;
    let x = pending.get(xid);
    if (x === undefined) {
      if (pending.size >= this.#opts.max) {
        this.#opts.onFull();
        const [oldest, ex] = pending.entries().next().value!;
        pending.delete(oldest);
        this.#opts.emit(ex);
      }
      x = this.#opts.create(xid, tsUs);
      pending.set(xid, x);
    }
    x.lastUs = Math.max(x.lastUs, tsUs);
    if (!x.uids.includes(flow.uid) && x.uids.length < MAX_UIDS) x.uids.push(flow.uid);
    if (x.msgTypes.length < MAX_MESSAGES) x.msgTypes.push(msgType);
    return x;
  }

  /** The exchange of `xid` ended: it is logged and forgotten. */
  end(xid: number, x: X): void {
    this.#byXid.delete(xid);
    this.#opts.emit(x);
  }

  /** The capture ended: exchanges still waiting are logged as they are. */
  flush(): void {
    for (const x of this.#byXid.values()) this.#opts.emit(x);
    this.#byXid.clear();
  }
}

/** Where a flow's datagrams go: one message each, with the address of the side that sent it. */
export interface ExchangeMessages {
  readonly ctx: AppContext;
  message(flow: FlowState, src: string, b: Uint8Array, off: number, end: number, tsUs: number): void;
}

/** A UDP flow of such a protocol: each datagram is one message of some exchange. */
export class ExchangeFlow implements FlowParser {
  readonly #flow: FlowState;
  readonly #messages: ExchangeMessages;
  readonly finished = false;

  constructor(flow: FlowState, messages: ExchangeMessages) {
    this.#flow = flow;
    this.#messages = messages;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const text = this.#messages.ctx.endpoints;
    const src = isOrig ? text.orig(this.#flow) : text.resp(this.#flow);
    this.#messages.message(this.#flow, src, b, off, end, tsUs);
  }

  gap(): void {}

  end(): void {}
}
