import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PacketDecoder } from '../../decode/decoder.js';
import { be16, cat, ipv4 } from '../../decode/frame-builder.js';
import { DecodedPacket } from '../../decode/packet.js';
import { HostInventory, MAX_HOST_IPS, MAX_HOSTS } from './inventory.js';
import { macVendor, registryPath, searchInPlace } from './oui.js';

/** Dell's OUI (90:b1:1c in the IEEE registry) and a gateway's. */
const DELL = [0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29];
const GW = [0x00, 0x0c, 0x29, 0x40, 0x0e, 0xef];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

const decoder = new PacketDecoder();
const d = new DecodedPacket();

function feed(inv: HostInventory, frame: Uint8Array, tsUs: number): void {
  decoder.decode(frame, 0, frame.length, 1, d);
  inv.packet(frame, frame.length, d, tsUs, frame.length);
}
const ipFrame = (dst: number[], src: number[], srcIp: number[]): Uint8Array =>
  cat(
    dst,
    src,
    be16(0x0800),
    ipv4({ proto: 17, src: srcIp, dst: [10, 0, 0, 9], payload: new Uint8Array(8) }),
  );
/** An ARP request (Ethernet/IPv4) from `mac` at `ip`. */
const arp = (mac: number[], ip: number[]): Uint8Array =>
  cat(BROADCAST, mac, be16(0x0806), [0, 1, 8, 0, 6, 4, 0, 1], mac, ip, [0, 0, 0, 0, 0, 0], [10, 0, 0, 9]);

test('a device: addresses from ARP and IP, counts each way, vendor, first and last seen', () => {
  const inv = new HostInventory();
  feed(inv, arp(DELL, [10, 0, 0, 5]), 1_000_000);
  feed(inv, ipFrame(GW, DELL, [10, 0, 0, 5]), 2_000_000);
  feed(inv, ipFrame(DELL, GW, [10, 0, 0, 1]), 3_000_000);
  feed(inv, arp(DELL, [0, 0, 0, 0]), 4_000_000); // an ARP probe: no address
  const rows = inv.snapshot(true);
  const dell = rows.find((r) => r.mac === '90:b1:1c:99:49:29')!;
  assert.deepEqual(dell.ips, ['10.0.0.5']);
  assert.equal(dell.vendor, 'Dell Inc.');
  assert.equal(dell.pkts_out, 3);
  assert.equal(dell.pkts_in, 1);
  assert.equal(dell.first_seen, 1_000_000);
  assert.equal(dell.last_seen, 4_000_000);
  assert.equal(dell.router, false);
  assert.equal(rows.find((r) => r.mac === '00:0c:29:40:0e:ef')?.vendor, 'VMware, Inc.');
  assert.equal(rows.length, 2, 'the broadcast address is no device');
  assert.equal(inv.snapshot(false).length, 0, 'nothing changed since');
});

test('a gateway forwarding many addresses is capped and marked a router', () => {
  const inv = new HostInventory();
  for (let i = 0; i < 100; i++) feed(inv, ipFrame(DELL, GW, [93, 184, 0, i]), i);
  const [gw] = inv.snapshot(true).filter((r) => r.mac === '00:0c:29:40:0e:ef');
  assert.equal(gw?.ips.length, MAX_HOST_IPS);
  assert.equal(gw?.router, true);
});

test('names: DHCP beats mDNS beats NetBIOS', () => {
  const inv = new HostInventory();
  feed(inv, ipFrame(GW, DELL, [10, 0, 0, 5]), 1);
  inv.name(null, '10.0.0.5', 'NETBIOSNAME', 'netbios');
  assert.equal(inv.snapshot(false)[0]?.name_source, 'netbios');
  inv.name(null, '10.0.0.5', 'laptop', 'mdns');
  assert.equal(inv.snapshot(false)[0]?.host_name, 'laptop');
  inv.name('90:b1:1c:99:49:29', null, 'laptop-dhcp', 'dhcp');
  inv.name(null, '10.0.0.5', 'other', 'mdns');
  const [r] = inv.snapshot(true);
  assert.equal(r?.host_name, 'laptop-dhcp');
  assert.equal(r?.name_source, 'dhcp');
});

test('a MAC flood stays within MAX_HOSTS and counts evictions', () => {
  const inv = new HostInventory();
  const n = MAX_HOSTS + 500;
  for (let i = 0; i < n; i++)
    feed(inv, ipFrame(GW, [0x00, 0x10, 0x18, 0, i >> 8, i & 0xff], [10, 1, i >> 8, i & 0xff]), i);
  assert.equal(inv.size, MAX_HOSTS);
  assert.equal(inv.evicted, n - MAX_HOSTS);
});

test('vendor lookup: MA-L prefixes, locally administered addresses have none', () => {
  assert.equal(macVendor('00:0c:29:00:00:01'), 'VMware, Inc.');
  assert.equal(macVendor('52:54:00:36:3e:ff'), null);
  assert.equal(macVendor('not a mac'), null);
});

test('the registry searched in place answers as the whole file parsed, for every prefix and some unassigned', () => {
  const file = readFileSync(registryPath());
  const parsed = JSON.parse(file.toString('utf8')) as Record<string, string>;
  const searched = searchInPlace(file);
  assert.ok(searched !== null, 'the installed oui-data file is one sorted run per key length');
  const keys = Object.keys(parsed);
  assert.ok(keys.length > 50_000);
  for (const key of keys) assert.equal(searched.get(key), parsed[key], key);
  for (const key of ['FFFFFF', '0000000', 'FFFFFFFFF', '123', '8C1F64FFD', 'GGGGGG'])
    assert.equal(searched.get(key), parsed[key], key);
  // Out of order, the file is refused (and parsed whole instead).
  const lines = file.toString('utf8').split('\n');
  [lines[2], lines[3]] = [lines[3]!, lines[2]!];
  assert.equal(searchInPlace(Buffer.from(lines.join('\n'))), null);
});
