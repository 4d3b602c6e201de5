/**
 * A NetBIOS name service flow (UDP 137): each datagram is one message; device names go to the inventory.
 * Nothing is logged as a table of its own (Zeek has no NetBIOS name log either).
 */
import type { AppContext, FlowParser } from '../context.js';
import { NetbiosName, parseNetbiosName } from './parser.js';

export class NetbiosShared {
  readonly name = new NetbiosName();
  readonly ctx: AppContext;

  constructor(ctx: AppContext) {
    this.ctx = ctx;
  }
}

export class NetbiosFlow implements FlowParser {
  readonly #s: NetbiosShared;
  readonly finished = false;

  constructor(shared: NetbiosShared) {
    this.#s = shared;
  }

  data(b: Uint8Array, off: number, end: number): void {
    const n = this.#s.name;
    if (parseNetbiosName(b, off, end, n)) this.#s.ctx.hostName(n.ip, n.name, 'netbios');
  }

  gap(): void {}

  end(): void {}
}
