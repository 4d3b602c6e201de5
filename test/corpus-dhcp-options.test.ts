/**
 * DHCP option 55 (the Fingerbank fingerprint) and option 61 (client identifier), and the DHCPv6 exchanges,
 * against tshark on every corpus capture with DHCP or DHCPv6 over the outer IP layer. tshark's PDML gives
 * each message's type, transaction id and option bytes; the expected record per transaction id is built
 * from them with the same rules the parsers document (the client's latest value wins; DHCPv6 addresses and
 * prefixes of a REPLY are assigned ones). tunnel-erspan-mixed-lan is left out: its DHCP is inside ERSPAN,
 * and nta reads the outer layer only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileInputs, readCaptures } from '../src/pipeline.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { dbRows, workDir } from './support/cli.js';
import { CORPUS_DIR, PCAPS_DIR } from './support/corpus.js';

const DHCP_CAPTURES = [
  join(PCAPS_DIR, 'dhcp-broadcast-exchange.pcap'),
  join(PCAPS_DIR, 'rawip-mixed-traffic.pcap'),
  join(PCAPS_DIR, 'sll-mixed-home-traffic.pcap'),
  join(PCAPS_DIR, 'tunnel-teredo-ipv6-in-udp.pcap'),
  join(CORPUS_DIR, 'security', 'benign_dhcp__ppa_dhcp.pcap'),
  join(CORPUS_DIR, 'security', 'new_device_dhcp__cs_dhcp_nolease_initialization.pcapng'),
];
const DHCPV6_CAPTURES = [
  join(PCAPS_DIR, 'pppoe-ipv6-dhcpv6.pcap'),
  join(PCAPS_DIR, 'mixed-office-ipv4-ipv6-http.pcap'),
];

interface PdmlField {
  name: string;
  show: string;
  value: string;
}

/** tshark's PDML of the packets matching `filter`, as one field list per packet. */
function pdmlPackets(path: string, filter: string): PdmlField[][] {
  const r = spawnSync('tshark', ['-r', path, '-Y', filter, '-T', 'pdml'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  const packets: PdmlField[][] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('<packet>')) packets.push([]);
    const m = /<field name="([^"]+)"[^>]*? show="([^"]*)"(?:[^>]*? value="([^"]*)")?/.exec(line);
    if (m !== null) packets.at(-1)?.push({ name: m[1]!, show: m[2]!, value: m[3] ?? '' });
  }
  return packets;
}

const colonHex = (hex: string): string => hex.match(/../g)?.join(':') ?? '';

const dir = workDir('nta-corpus-dhcp-');
const db = join(dir, 'dhcp.db');
const ids = new Map<string, number>();
before(async () => {
  const store = await SqliteStore.open(db);
  try {
    const paths = [...DHCP_CAPTURES, ...DHCPV6_CAPTURES];
    const summary = await readCaptures({ inputs: fileInputs(paths), store, flows: { uidSeed: 1 } });
    summary.sources.forEach((s, i) => ids.set(paths[i]!, s.captureId!));
  } finally {
    await store.close();
  }
});

const totals = { dhcpExchanges: 0, fingerprints: 0, clientIds: 0, v6Exchanges: 0, duids: 0, v6Addresses: 0 };

for (const path of DHCP_CAPTURES) {
  test(`dhcp options 55 and 61: ${path.split('/').pop()!} agrees with tshark`, () => {
    const expected = new Map<number, { fingerprint: string | null; clientId: string | null }>();
    for (const fields of pdmlPackets(path, 'dhcp && !icmp && !icmpv6')) {
      const xid = Number(fields.find((f) => f.name === 'dhcp.id')!.show);
      const fromClient = fields.find((f) => f.name === 'dhcp.type')!.show === '1';
      const e = expected.get(xid) ?? { fingerprint: null, clientId: null };
      expected.set(xid, e);
      if (!fromClient) continue;
      for (const f of fields) {
        if (f.name !== 'dhcp.option.type') continue;
        const data = f.value.slice(4); // after code and length
        if (f.show === '55') e.fingerprint = (data.match(/../g) ?? []).map((h) => parseInt(h, 16)).join(',');
        if (f.show === '61') e.clientId = colonHex(data);
      }
    }
    assert.ok(expected.size > 0, 'tshark shows DHCP');
    const rows = dbRows<{ fingerprint: string | null; client_id: string | null }>(
      db,
      `SELECT fingerprint, client_id FROM dhcp WHERE capture_id = ${ids.get(path)!}`,
    );
    // Records per transaction id can be several (a DECLINE, then a RELEASE); each carries its own options.
    const got = new Set(rows.map((r) => `${r.fingerprint} ${r.client_id}`));
    for (const [xid, e] of expected) {
      totals.dhcpExchanges++;
      if (e.fingerprint !== null) totals.fingerprints++;
      if (e.clientId !== null) totals.clientIds++;
      assert.ok(got.has(`${e.fingerprint} ${e.clientId}`), `xid ${xid}: ${JSON.stringify(e)} in ${[...got]}`);
    }
  });
}

interface V6Expected {
  msgTypes: string[];
  clientDuid: string | null;
  serverDuid: string | null;
  fqdn: string | null;
  requested: string[];
  assigned: string[];
  prefixes: string[];
}

const V6_TYPES = ['', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE'];

for (const path of DHCPV6_CAPTURES) {
  test(`dhcpv6 exchanges: ${path.split('/').pop()!} agrees with tshark`, () => {
    const expected = new Map<number, V6Expected>();
    for (const fields of pdmlPackets(path, 'dhcpv6 && !icmpv6')) {
      const type = Number(fields.find((f) => f.name === 'dhcpv6.msgtype')!.show);
      const xid = Number(fields.find((f) => f.name === 'dhcpv6.xid')!.show);
      const e = expected.get(xid) ?? {
        msgTypes: [],
        clientDuid: null,
        serverDuid: null,
        fqdn: null,
        requested: [],
        assigned: [],
        prefixes: [],
      };
      expected.set(xid, e);
      e.msgTypes.push(V6_TYPES[type]!);
      const server = type === 2 || type === 7;
      let prefixLength = '';
      for (const f of fields) {
        if (f.name === 'dhcpv6.option.type_str' || (f.name === 'dhcpv6.option.type' && f.value.length > 4)) {
          const code = parseInt(f.value.slice(0, 4), 16);
          const data = f.value.slice(8);
          if (code === 1) e.clientDuid ??= colonHex(data);
          if (code === 2 && server) e.serverDuid ??= colonHex(data);
          if (code === 39 && !server) {
            const labels: string[] = [];
            const bytes = Buffer.from(data.slice(2), 'hex');
            for (let p = 0; p < bytes.length && bytes[p]! > 0; p += 1 + bytes[p]!)
              labels.push(bytes.subarray(p + 1, p + 1 + bytes[p]!).toString('latin1'));
            e.fqdn = labels.join('.');
          }
        }
        if (f.name === 'dhcpv6.iaaddr.ip')
          (server ? (type === 7 ? e.assigned : []) : e.requested).push(f.show);
        if (f.name === 'dhcpv6.iaprefix.pref_len') prefixLength = f.show;
        if (f.name === 'dhcpv6.iaprefix.pref_addr' && type === 7)
          e.prefixes.push(`${f.show}/${prefixLength}`);
      }
    }
    assert.ok(expected.size > 0, 'tshark shows DHCPv6');
    const rows = dbRows<Record<string, string | number | null>>(
      db,
      `SELECT * FROM dhcpv6 WHERE capture_id = ${ids.get(path)!}`,
    );
    const list = (v: string | number | null | undefined): string[] =>
      JSON.parse(String(v ?? '[]')) as string[];
    for (const [xid, e] of expected) {
      const row = rows.find((r) => r['trans_id'] === xid);
      assert.ok(row !== undefined, `xid ${xid} has a record`);
      totals.v6Exchanges++;
      assert.deepEqual(list(row['msg_types']), e.msgTypes, `${xid} msg_types`);
      assert.equal(row['client_duid'], e.clientDuid, `${xid} client_duid`);
      assert.equal(row['server_duid'], e.serverDuid, `${xid} server_duid`);
      assert.equal(row['client_fqdn'], e.fqdn, `${xid} client_fqdn`);
      assert.deepEqual(list(row['requested_addrs']), [...new Set(e.requested)], `${xid} requested`);
      assert.deepEqual(list(row['assigned_addrs']), [...new Set(e.assigned)], `${xid} assigned`);
      assert.deepEqual(list(row['delegated_prefixes']), [...new Set(e.prefixes)], `${xid} prefixes`);
      if (e.clientDuid !== null) totals.duids++;
      totals.v6Addresses += e.requested.length + e.assigned.length + e.prefixes.length;
      // A link-layer DUID (type 1 or 3, hardware type 1) ends with the client's MAC.
      const duid = e.clientDuid ?? '';
      const linkLayer = /^00:0[13]:00:01:/.test(duid);
      assert.equal(row['mac'], linkLayer ? duid.slice(-17) : null, `${xid} mac`);
    }
  });
}

test('corpus totals: the comparison covered every field', () => {
  for (const [field, n] of Object.entries(totals)) assert.ok(n > 0, `${field}: ${n}`);
  console.log(`dhcp fields compared with tshark: ${JSON.stringify(totals)}`);
});
