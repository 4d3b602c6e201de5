/**
 * DHCP and the device inventory against the corpus, through `readCaptures` into a real SQLite database.
 *
 * Expected values were made on this machine with tshark 4.x and are checked in (so CI needs no tshark):
 * - devices: `tshark -r F -T fields -e eth.src -E occurrence=f | sort -u` (the outer Ethernet source of
 *   every frame; none of these captures has a multicast source);
 * - DHCP host names: `tshark -r F -Y dhcp.option.hostname -T fields -e dhcp.hw.mac_addr -e dhcp.option.hostname`.
 * - mDNS names: `tshark -r F -Y 'mdns && dns.flags.response==1 && (dns.a || dns.aaaa)' -T fields -e eth.src
 *   -e wlan.sa -e dns.resp.name` (the sender of the answer is the device named).
 * mixed-home-browsing-tls-dns registers only NetBIOS group and browser names (tshark: WORKGROUP<1d>,
 * __MSBROWSE__<01>), which are no device names, so no device there is named.
 * rawip-mixed-traffic (raw IP) and sll-mixed-home-traffic (Linux cooked capture) have no Ethernet source
 * address, so their DHCP clients appear in the dhcp log only.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { dbRows, workDir } from './support/cli.js';
import { readCorpusInto } from './support/corpus-db.js';

/** Devices named by mDNS, per capture: [mac, name]. */
const MDNS_NAMES: Record<string, [string, string][]> = {
  'dns-mdns-igmp-mld.pcap': [['8a:3c:d6:e1:4d:c4', 'johanna-QEMU-Virtual-Machine']],
  'wifi-radiotap-dns-mdns.pcap': [['a4:67:06:f7:ec:54', 'Art-Teachers-iPad']],
  'mixed-home-browsing-tls-dns.pcap': [],
};

const EXPECTED: Record<string, { devices: string[]; dhcpNames: [string, string][] }> = {
  'dhcp-broadcast-exchange.pcap': {
    devices: ['00:0c:29:40:0e:ef', '90:b1:1c:99:49:29'],
    dhcpNames: [['90:b1:1c:99:49:29', 'btest.is.cool']],
  },
  'tunnel-teredo-ipv6-in-udp.pcap': {
    devices: ['00:16:cf:41:9c:20', '00:1a:e9:9d:53:b7', '00:1d:5a:dc:cf:f1'],
    dhcpNames: [['00:1a:e9:9d:53:b7', 'Wii']],
  },
  'mixed-office-ipv4-ipv6-http.pcap': {
    devices: ['12:a9:86:6c:77:de', '52:54:00:36:3e:ff', 'fe:54:00:8e:18:ce'],
    dhcpNames: [],
  },
  'rawip-mixed-traffic.pcap': { devices: [], dhcpNames: [['0a:00:27:00:00:0d', 'Bichman']] },
  'sll-mixed-home-traffic.pcap': { devices: [], dhcpNames: [['6c:f0:49:b2:de:6e', 'Bichman']] },
};

const dir = workDir('nta-corpus-hosts-');
const db = join(dir, 'hosts.db');
let captureIds = new Map<string, number>();

before(async () => {
  captureIds = await readCorpusInto(db, [...Object.keys(EXPECTED), ...Object.keys(MDNS_NAMES)]);
});

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`hosts: ${name} has the devices and DHCP host names tshark shows`, () => {
    const id = captureIds.get(name)!;
    const hosts = dbRows<Record<string, unknown>>(
      db,
      `SELECT mac, host_name, name_source FROM hosts WHERE capture_id = ${id} ORDER BY mac`,
    );
    assert.deepEqual(
      hosts.map((h) => h['mac']),
      want.devices,
    );
    const dhcp = dbRows<Record<string, unknown>>(
      db,
      `SELECT DISTINCT mac, host_name FROM dhcp WHERE capture_id = ${id} AND host_name IS NOT NULL`,
    );
    assert.deepEqual(
      dhcp.map((r) => [r['mac'], r['host_name']]),
      want.dhcpNames,
    );
    for (const [mac, hostName] of want.dhcpNames) {
      const h = hosts.find((r) => r['mac'] === mac);
      if (want.devices.includes(mac))
        assert.deepEqual([h?.['host_name'], h?.['name_source']], [hostName, 'dhcp']);
    }
  });
}

test('hosts: the DHCP exchange of dhcp-broadcast-exchange, message by message', () => {
  const id = captureIds.get('dhcp-broadcast-exchange.pcap')!;
  const rows = dbRows<Record<string, unknown>>(
    db,
    `SELECT msg_types, assigned_addr, lease_time FROM dhcp WHERE capture_id = ${id} ORDER BY ts_us`,
  );
  // tshark -Y dhcp -T fields -e dhcp.option.dhcp: 1 2 3 6 3 5 4 7 8 (DISCOVER … INFORM).
  assert.deepEqual(
    rows.map((r) => r['msg_types']),
    ['["DISCOVER","OFFER","REQUEST","NAK"]', '["REQUEST","ACK"]', '["DECLINE"]', '["RELEASE"]', '["INFORM"]'],
  );
  assert.equal(rows[1]?.['assigned_addr'], '128.2.6.189');
  assert.equal(rows[1]?.['lease_time'], 900);
});

for (const [name, want] of Object.entries(MDNS_NAMES)) {
  test(`hosts: ${name} names the devices that answer for their .local names (mDNS), and no other`, () => {
    const rows = dbRows<{ mac: string; host_name: string; name_source: string }>(
      db,
      `SELECT mac, host_name, name_source FROM hosts
       WHERE capture_id = ${captureIds.get(name)!} AND host_name IS NOT NULL ORDER BY mac`,
    );
    assert.deepEqual(
      rows.map((r) => [r.mac, r.host_name, r.name_source]),
      want.map(([mac, host]) => [mac, host, 'mdns']),
    );
  });
}

test('hosts: what DHCP and DHCPv6 clients say of themselves names and describes their devices', () => {
  const rows = (name: string): Record<string, unknown>[] =>
    dbRows<Record<string, unknown>>(
      db,
      `SELECT mac, host_name, name_source, dhcp_vendor_class, dhcp_fingerprint FROM hosts
       WHERE capture_id = ${captureIds.get(name)!} AND (dhcp_vendor_class IS NOT NULL OR dhcp_fingerprint IS NOT NULL)
       ORDER BY mac`,
    );
  // tshark -Y dhcpv6 -T fields -e eth.src -e dhcpv6.client_domain -e dhcpv6.vendorclass.data:
  // 12:a9:86:6c:77:de User-PC MSFT 5.0 (the FQDN option of its SOLICITs; no DHCPv4 host name there).
  assert.deepEqual(rows('mixed-office-ipv4-ipv6-http.pcap'), [
    {
      mac: '12:a9:86:6c:77:de',
      host_name: 'User-PC',
      name_source: 'dhcp',
      dhcp_vendor_class: 'MSFT 5.0',
      dhcp_fingerprint: null,
    },
  ]);
  // tshark -Y dhcp -T fields -e dhcp.hw.mac_addr -e dhcp.option.request_list_item: the Wii asks 1,3,6,15,28,33.
  assert.deepEqual(rows('tunnel-teredo-ipv6-in-udp.pcap'), [
    {
      mac: '00:1a:e9:9d:53:b7',
      host_name: 'Wii',
      name_source: 'dhcp',
      dhcp_vendor_class: null,
      dhcp_fingerprint: '1,3,6,15,28,33',
    },
  ]);
});
