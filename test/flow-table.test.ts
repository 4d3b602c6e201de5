/** Flow table, TCP state/history and Community ID, from hand-built packets and published vectors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketDecoder } from '../src/decode/decoder.js';
import { IP_A, IP_B, be16, be32, cat, eth, icmp, ipv4, udp, vlanTag } from '../src/decode/frame-builder.js';
import { DecodedPacket } from '../src/decode/packet.js';
import { communityId } from '../src/flow/community-id.js';
import { ConnRecorder } from '../src/flow/record.js';
import { FlowTable, type FlowTableOptions } from '../src/flow/table.js';
import type { ConnLog } from '../src/schema/conn.js';

const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

function tcpSeg(sport: number, dport: number, flags: number, seq: number, ack: number, data = 0): number[] {
  return [
    ...be16(sport),
    ...be16(dport),
    ...be32(seq),
    ...be32(ack),
    0x50,
    flags,
    ...be16(65535),
    0,
    0,
    0,
    0,
    ...new Array<number>(data).fill(0x61),
  ];
}

/** Feeds packets to a table and collects the finished flows as conn records. */
class Harness {
  readonly logs: ConnLog[] = [];
  readonly #dec = new PacketDecoder();
  readonly #out = new DecodedPacket();
  readonly #rec = new ConnRecorder();
  readonly table: FlowTable;
  t = 1_700_000_000;

  constructor(opts: FlowTableOptions = {}) {
    this.table = new FlowTable((f) => this.logs.push(this.#rec.toConnLog(f)), { uidSeed: 7, ...opts });
  }

  frame(frame: Uint8Array, dt = 0.001): void {
    this.t += dt;
    this.#dec.decode(frame, 0, frame.length, 1, this.#out);
    const sec = Math.floor(this.t);
    this.table.packet(frame, this.#out, sec, Math.round((this.t - sec) * 1e6) * 1000, true);
  }

  /** A TCP segment from A (a2b) or from B. */
  tcp(a2b: boolean, flags: number, seq: number, ack: number, data = 0): void {
    const [s, d] = a2b ? [IP_A, IP_B] : [IP_B, IP_A];
    const [sp, dp] = a2b ? [40000, 80] : [80, 40000];
    this.frame(
      eth(0x0800, ipv4({ proto: 6, src: s, dst: d, payload: tcpSeg(sp, dp, flags, seq, ack, data) })),
    );
  }

  udp(a2b: boolean, len = 10, vlan = -1): void {
    const [s, d] = a2b ? [IP_A, IP_B] : [IP_B, IP_A];
    const [sp, dp] = a2b ? [5000, 53] : [53, 5000];
    const ip = ipv4({ proto: 17, src: s, dst: d, payload: udp(sp, dp, new Array<number>(len).fill(1)) });
    this.frame(vlan < 0 ? eth(0x0800, ip) : eth(0x8100, cat(vlanTag(vlan, 0x0800), ip)));
  }

  end(): ConnLog[] {
    this.table.flush();
    return this.logs;
  }
}

function tcpConn(steps: (h: Harness) => void): ConnLog {
  const h = new Harness();
  steps(h);
  const logs = h.end();
  assert.equal(logs.length, 1, 'one flow');
  return logs[0]!;
}

test('a UDP exchange is one flow in both directions; the first sender is the originator', () => {
  const h = new Harness();
  h.udp(false, 20); // B (port 53) speaks first: B is the originator
  h.udp(true, 10);
  h.udp(false, 20);
  const [l] = h.end();
  assert.equal(h.logs.length, 1);
  assert.equal(l!.orig_h, '198.51.100.2');
  assert.equal(l!.orig_p, 53);
  assert.equal(l!.resp_p, 5000);
  assert.deepEqual([l!.orig_pkts, l!.orig_bytes, l!.resp_pkts, l!.resp_bytes], [2, 40, 1, 10]);
  assert.deepEqual([l!.orig_ip_bytes, l!.resp_ip_bytes], [2 * 48, 38]);
  assert.equal(l!.conn_state, 'SF');
  assert.equal(l!.history, 'Dd');
  assert.equal(l!.proto, 'udp');
  assert.match(l!.uid, /^C[0-9A-Za-z]{10,20}$/);
});

test('UDP with no reply is S0; VLANs separate flows', () => {
  const h = new Harness();
  h.udp(true, 5, 10);
  h.udp(true, 5, 20);
  const logs = h.end();
  assert.equal(logs.length, 2);
  assert.deepEqual(logs.map((l) => [l.conn_state, l.history, l.vlan]).sort(), [
    ['S0', 'D', 10],
    ['S0', 'D', 20],
  ]);
});

test('TCP: handshake, data both ways, FIN both ways is SF with history ShADadFf and sequence sizes', () => {
  const l = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    h.tcp(true, F.ACK, 1001, 5001);
    h.tcp(true, F.ACK | F.PSH, 1001, 5001, 100);
    h.tcp(false, F.ACK, 5001, 1101);
    h.tcp(false, F.ACK | F.PSH, 5001, 1101, 300);
    h.tcp(true, F.FIN | F.ACK, 1101, 5301);
    h.tcp(false, F.FIN | F.ACK, 5301, 1102);
    h.tcp(true, F.ACK, 1102, 5302);
  });
  assert.equal(l.conn_state, 'SF');
  assert.equal(l.history, 'ShADadFf');
  assert.equal(l.orig_h, '192.0.2.1');
  assert.deepEqual([l.orig_pkts, l.orig_bytes, l.resp_pkts, l.resp_bytes], [5, 100, 4, 300]);
  assert.equal(l.orig_ip_bytes, 5 * 40 + 100);
});

test('TCP: a SYN alone is S0; repeated SYNs with the same sequence add no letter', () => {
  const l = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(true, F.SYN, 1000, 0);
  });
  assert.equal(l.conn_state, 'S0');
  assert.equal(l.history, 'S');
});

test('TCP: a SYN answered by RST is REJ', () => {
  const l = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.RST | F.ACK, 0, 1001);
  });
  assert.equal(l.conn_state, 'REJ');
  assert.equal(l.history, 'Sr');
});

test('TCP: established then aborted by the originator is RSTO, by the responder RSTR', () => {
  const o = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    h.tcp(true, F.ACK, 1001, 5001);
    h.tcp(true, F.RST, 1001, 0);
  });
  assert.deepEqual([o.conn_state, o.history], ['RSTO', 'ShAR']);
  const r = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    h.tcp(true, F.ACK, 1001, 5001);
    h.tcp(false, F.RST, 5001, 0);
  });
  assert.deepEqual([r.conn_state, r.history], ['RSTR', 'ShAr']);
});

test('TCP: SYN then RST from the originator with no reply is RSTOS0; SYN then FIN is SH', () => {
  const a = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(true, F.RST, 1001, 0);
  });
  assert.deepEqual([a.conn_state, a.history], ['RSTOS0', 'SR']);
  const b = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(true, F.FIN, 1001, 0);
  });
  assert.deepEqual([b.conn_state, b.history], ['SH', 'SF']);
});

test('TCP: established, only one side closes: S2 / S3; established, open: S1', () => {
  const hs = (h: Harness): void => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    h.tcp(true, F.ACK, 1001, 5001);
  };
  assert.equal(tcpConn(hs).conn_state, 'S1');
  assert.equal(
    tcpConn((h) => {
      hs(h);
      h.tcp(true, F.FIN | F.ACK, 1001, 5001);
    }).conn_state,
    'S2',
  );
  assert.equal(
    tcpConn((h) => {
      hs(h);
      h.tcp(false, F.FIN | F.ACK, 5001, 1001);
    }).conn_state,
    'S3',
  );
});

test('TCP: a SYN-ACK seen first makes its receiver the originator (history ^), midstream data is OTH', () => {
  const l = tcpConn((h) => {
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    h.tcp(true, F.ACK, 1001, 5001);
  });
  assert.equal(l.orig_h, '192.0.2.1');
  assert.equal(l.history, '^hA');
  const m = tcpConn((h) => {
    h.tcp(true, F.ACK | F.PSH, 1001, 5001, 50);
    h.tcp(false, F.ACK, 5001, 1051);
  });
  assert.deepEqual([m.conn_state, m.history, m.orig_bytes], ['OTH', 'Da', 50]);
});

test('TCP: retransmitted data is T (logarithmic: 1st and 10th), a new SYN after a full close is a new flow', () => {
  const l = tcpConn((h) => {
    h.tcp(true, F.SYN, 1000, 0);
    h.tcp(false, F.SYN | F.ACK, 5000, 1001);
    for (let i = 0; i < 11; i++) h.tcp(true, F.ACK | F.PSH, 1001, 5001, 10);
  });
  assert.equal(l.history, 'ShDTT');
  const h = new Harness();
  h.tcp(true, F.SYN, 1000, 0);
  h.tcp(false, F.SYN | F.ACK, 5000, 1001);
  h.tcp(true, F.FIN | F.ACK, 1001, 5001);
  h.tcp(false, F.FIN | F.ACK, 5001, 1002);
  h.tcp(true, F.SYN, 9000, 0);
  const logs = h.end();
  assert.equal(logs.length, 2);
  assert.equal(logs[0]!.conn_state, 'SF');
  assert.equal(logs[1]!.conn_state, 'S0');
  assert.equal(h.table.stats.reused, 1);
});

test('ICMP echo request and reply share a flow keyed type → counterpart', () => {
  const h = new Harness();
  h.frame(
    eth(
      0x0800,
      ipv4({
        proto: 1,
        src: IP_A,
        dst: IP_B,
        payload: icmp(8, 0, [0, 1, 0, 1], new Array<number>(56).fill(0)),
      }),
    ),
  );
  h.frame(
    eth(
      0x0800,
      ipv4({
        proto: 1,
        src: IP_B,
        dst: IP_A,
        payload: icmp(0, 0, [0, 1, 0, 1], new Array<number>(56).fill(0)),
      }),
    ),
  );
  const logs = h.end();
  assert.equal(logs.length, 1);
  const l = logs[0]!;
  assert.deepEqual(
    [l.proto, l.orig_p, l.resp_p, l.orig_bytes, l.resp_bytes, l.orig_ip_bytes],
    ['icmp', 8, 0, 56, 56, 84],
  );
  assert.equal(l.conn_state, 'OTH');
});

test('non-first IPv4 fragments count towards the flow of their first fragment', () => {
  const h = new Harness();
  const dgram = udp(5000, 53, new Array<number>(100).fill(1));
  h.frame(
    eth(0x0800, ipv4({ proto: 17, payload: dgram.subarray(0, 64), moreFragments: true, totalLength: 84 })),
  );
  h.frame(eth(0x0800, ipv4({ proto: 17, payload: dgram.subarray(64), fragOffset: 64 })));
  h.frame(
    eth(
      0x0800,
      ipv4({ proto: 17, src: IP_B, dst: IP_A, payload: [1, 2, 3, 4, 5, 6, 7, 8], fragOffset: 800 }),
    ),
  ); // first part unseen
  const logs = h.end();
  assert.equal(logs.length, 1);
  const l = logs[0]!;
  assert.deepEqual([l.orig_pkts, l.orig_bytes, l.orig_ip_bytes], [1, 100, 20 + 108]);
  assert.equal(h.table.stats.fragmentsAttributed, 1);
  assert.equal(h.table.stats.fragmentsOrphaned, 1);
});

test('expiry on packet time: UDP idle past 60 s starts a new flow; the cap evicts the least recently active', () => {
  const h = new Harness();
  h.udp(true);
  h.udp(true, 10);
  h.t += 61;
  h.udp(true); // sweeps the idle flow first
  assert.equal(h.logs.length, 1);
  assert.equal(h.table.stats.expiredIdle, 1);
  h.end();
  assert.equal(h.logs.length, 2);

  const c = new Harness({ maxFlows: 2 });
  for (const port of [1, 2, 3]) {
    c.frame(eth(0x0800, ipv4({ proto: 17, payload: udp(port, 53) })));
  }
  assert.equal(c.table.stats.evicted, 1);
  assert.equal(c.logs[0]!.orig_p, 1);
  assert.equal(c.table.liveFlows, 2);
  c.end();
  assert.equal(c.logs.length, 3);
});

test('the table grows and shrinks without losing flows (index deletion keeps probe chains)', () => {
  const h = new Harness({ udpTimeout: 5 });
  for (let i = 0; i < 5000; i++)
    h.frame(eth(0x0800, ipv4({ proto: 17, payload: udp(1024 + i, 53) })), 0.0001);
  for (let i = 0; i < 5000; i += 2)
    h.frame(eth(0x0800, ipv4({ proto: 17, src: IP_B, dst: IP_A, payload: udp(53, 1024 + i) })), 0.0001);
  assert.equal(h.table.liveFlows, 5000);
  const logs = h.end();
  assert.equal(logs.length, 5000);
  assert.equal(logs.filter((l) => l.conn_state === 'SF').length, 2500);
});

// ---- Community ID: corelight/community-id-spec baseline/baseline_deflt.json ----

function words(ip: string): { v6: boolean; w: Uint32Array } {
  const w = new Uint32Array(4);
  if (!ip.includes(':')) {
    const p = ip.split('.').map(Number);
    w[0] = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
    return { v6: false, w };
  }
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) =>
    parseInt(g, 16),
  );
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return { v6: true, w };
}

// prettier-ignore
const VECTORS: [number, string, string, number | null, number | null, string][] = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
];

test('Community ID v1 matches the spec baseline vectors (seed 0)', () => {
  for (const [proto, s, d, sp, dp, expected] of VECTORS) {
    const a = words(s);
    const b = words(d);
    // ICMP types without a counterpart are one-way (the port pair is type, code).
    const oneWay = (proto === 1 && sp === 11) || (proto === 58 && (sp === 3 || sp === 1));
    assert.equal(
      communityId(a.v6, proto, a.w, sp ?? 0, b.w, dp ?? 0, oneWay),
      expected,
      `${s} ${d} ${proto}`,
    );
  }
});

test('the flow record carries the Community ID of its tuple', () => {
  const h = new Harness();
  h.frame(
    eth(0x0800, ipv4({ proto: 17, src: [192, 168, 1, 52], dst: [8, 8, 8, 8], payload: udp(54585, 53, [0]) })),
  );
  assert.equal(h.end()[0]!.community_id, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=');
});
