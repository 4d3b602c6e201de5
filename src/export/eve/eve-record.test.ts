import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnLog, DnsLog, HttpLog, TlsLog } from '../../schema/streams.js';
import { eveDns, eveFlow, eveHttp, eveTime, eveTls, flowIdOf, type EveRecord } from './eve-record.js';

const TS = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 6; // 2024-01-02T03:04:05.000006Z in µs

const conn = (over: Partial<ConnLog>): ConnLog => ({
  ts: TS,
  uid: 'CabcDEF123',
  duration: 1.5,
  orig_h: '10.0.0.1',
  orig_p: 40000,
  resp_h: '10.0.0.2',
  resp_p: 443,
  proto: 'tcp',
  service: 'ssl',
  conn_state: 'SF',
  history: 'ShADadFf',
  orig_pkts: 10,
  orig_bytes: 500,
  resp_pkts: 8,
  resp_bytes: 4000,
  orig_ip_bytes: 1000,
  resp_ip_bytes: 4500,
  community_id: '1:abcdefghijklmnopqrstuvwxyz0=',
  vlan: null,
  ip_proto: 6,
  ...over,
});

const dns = (over: Partial<DnsLog>): DnsLog => ({
  ts: TS,
  uid: 'Cdns1',
  orig_h: '192.168.1.5',
  orig_p: 5000,
  resp_h: '192.168.1.1',
  resp_p: 53,
  proto: 'udp',
  trans_id: 4660,
  rtt: 0.002,
  query: 'example.com',
  qclass: 1,
  qtype: 1,
  qtype_name: 'A',
  rcode: 0,
  rcode_name: 'NOERROR',
  AA: false,
  TC: false,
  RD: true,
  RA: true,
  answers: ['93.184.216.34'],
  TTLs: [300],
  rejected: false,
  ...over,
});

test('EVE time: ISO 8601, microseconds, +0000, also before 1970', () => {
  assert.equal(eveTime(TS), '2024-01-02T03:04:05.000006+0000');
  assert.equal(eveTime(-1), '1969-12-31T23:59:59.999999+0000');
});

test('flow: Suricata tuple, counters to server/client, state from conn_state, flags from history', () => {
  const r = eveFlow(conn({}));
  assert.equal(r['event_type'], 'flow');
  assert.equal(r['flow_id'], flowIdOf('CabcDEF123'));
  assert.equal(r['proto'], 'TCP');
  assert.equal(r['app_proto'], 'tls');
  assert.deepEqual(r['flow'], {
    pkts_toserver: 10,
    pkts_toclient: 8,
    bytes_toserver: 1000,
    bytes_toclient: 4500,
    start: '2024-01-02T03:04:05.000006+0000',
    end: '2024-01-02T03:04:06.500006+0000',
    age: 1,
    state: 'closed',
  });
  assert.deepEqual(r['tcp'], {
    tcp_flags: '13',
    tcp_flags_ts: '13',
    tcp_flags_tc: '13',
    syn: true,
    fin: true,
    ack: true,
  });
  assert.equal((eveFlow(conn({ conn_state: 'S0', history: 'S' }))['flow'] as EveRecord)['state'], 'new');
});

test('ICMP flows carry types instead of ports; ICMPv6 is IPv6-ICMP; VLAN is an array', () => {
  const echo = eveFlow(
    conn({ proto: 'icmp', ip_proto: 1, orig_p: 8, resp_p: 0, history: null, service: null }),
  );
  assert.equal(echo['src_port'], undefined);
  assert.equal(echo['icmp_type'], 8);
  assert.equal(echo['response_icmp_type'], 0);
  assert.equal(echo['tcp'], undefined);
  const unreachable = eveFlow(conn({ proto: 'icmp', ip_proto: 58, orig_p: 1, resp_p: 4, vlan: 12 }));
  assert.equal(unreachable['proto'], 'IPv6-ICMP');
  assert.equal(unreachable['icmp_code'], 4);
  assert.deepEqual(unreachable['vlan'], [12]);
});

test('dns: a transaction is a request from the client and a response from the server (version 3)', () => {
  const out: EveRecord[] = [];
  eveDns(dns({}), out);
  assert.equal(out.length, 2);
  const [req, resp] = out as [EveRecord, EveRecord];
  assert.deepEqual(req['dns'], {
    version: 3,
    type: 'request',
    id: 4660,
    rd: true,
    queries: [{ rrname: 'example.com', rrtype: 'A' }],
  });
  assert.equal(req['src_ip'], '192.168.1.5');
  assert.equal(resp['src_ip'], '192.168.1.1');
  assert.equal(resp['src_port'], 53);
  assert.equal(resp['timestamp'], '2024-01-02T03:04:05.002006+0000');
  assert.equal((resp['dns'] as EveRecord)['rcode'], 'NOERROR');
  assert.deepEqual((resp['dns'] as EveRecord)['answers'], [{ rdata: '93.184.216.34', ttl: 300 }]);
  assert.equal(req['community_id'], resp['community_id']);
  assert.match(String(req['community_id']), /^1:[A-Za-z0-9+/]{27}=$/);
});

test('dns: a query without response is a request only; a response that began its flow came from its originator', () => {
  const q: EveRecord[] = [];
  eveDns(dns({ rtt: null, rcode: null, rcode_name: null, RA: false, answers: null, TTLs: null }), q);
  assert.deepEqual(
    q.map((r) => (r['dns'] as EveRecord)['type']),
    ['request'],
  );
  const r: EveRecord[] = [];
  // The capture began with the response: the server is the flow's originator.
  eveDns(dns({ rtt: null, orig_h: '192.168.1.1', orig_p: 53, resp_h: '192.168.1.5', resp_p: 5000 }), r);
  assert.equal(r.length, 1);
  assert.equal((r[0]!['dns'] as EveRecord)['type'], 'response');
  assert.equal(r[0]!['src_ip'], '192.168.1.1');
  assert.equal(r[0]!['src_port'], 53);
});

test('tls: Suricata version names, sni, ja3 hash, ja4, ALPNs; Zeek names under nta', () => {
  const log: TlsLog = {
    ts: TS,
    uid: 'Ctls',
    orig_h: '2001:db8::1',
    orig_p: 50000,
    resp_h: '2001:db8::2',
    resp_p: 443,
    version: 'TLSv13',
    cipher: 'TLS_AES_128_GCM_SHA256',
    server_name: 'example.org',
    next_protocol: 'h2',
    client_alpn: ['h2', 'http/1.1'],
    client_version: 'TLSv13',
    ja4: 't13d1516h2_8daaf6152771_02713d6af862',
    ja3: '0123456789abcdef0123456789abcdef',
    curve: 'x25519',
    resumed: false,
    established: true,
    cert_chain_fps: null,
    subject: null,
    issuer: null,
    not_valid_before: null,
    not_valid_after: null,
  };
  const r = eveTls(log);
  assert.deepEqual(r['tls'], {
    sni: 'example.org',
    version: 'TLS 1.3',
    ja3: { hash: '0123456789abcdef0123456789abcdef' },
    ja4: 't13d1516h2_8daaf6152771_02713d6af862',
    client_alpns: ['h2', 'http/1.1'],
    server_alpns: ['h2'],
  });
  assert.equal((eveTls({ ...log, version: 'SSLv3' })['tls'] as EveRecord)['version'], 'SSLv3');
  assert.equal(
    (eveTls({ ...log, version: 'TLSv13-draft28' })['tls'] as EveRecord)['version'],
    'TLS 1.3 draft-28',
  );
  assert.equal((eveTls({ ...log, version: 'unknown-0x7a7a' })['tls'] as EveRecord)['version'], '0x7a7a');
  // TLS ≤ 1.2: the server certificate as Suricata names it; Zeek's ssl.log extras under nta.
  const fp = 'ab'.repeat(32);
  const cert = eveTls({
    ...log,
    version: 'TLSv12',
    subject: 'CN=example.org,O=Example',
    issuer: 'CN=Example CA,O=Example',
    not_valid_before: Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 678,
    not_valid_after: Date.UTC(2025, 0, 2, 3, 4, 5) * 1000,
    cert_chain_fps: [fp],
  });
  const t = cert['tls'] as EveRecord;
  assert.equal(t['subject'], 'CN=example.org,O=Example');
  assert.equal(t['issuerdn'], 'CN=Example CA,O=Example');
  assert.equal(t['notbefore'], '2024-01-02T03:04:05');
  assert.equal(t['notafter'], '2025-01-02T03:04:05');
  assert.deepEqual(cert['nta'], {
    uid: 'Ctls',
    version: 'TLSv12',
    cipher: 'TLS_AES_128_GCM_SHA256',
    client_version: 'TLSv13',
    curve: 'x25519',
    resumed: false,
    established: true,
    cert_chain_fps: [fp],
  });
});

test('http: the Host port goes to http_port, protocol is HTTP/x.y, tx_id counts from 0', () => {
  const log: HttpLog = {
    ts: TS,
    uid: 'Chttp',
    orig_h: '10.0.0.1',
    orig_p: 40000,
    resp_h: '10.0.0.2',
    resp_p: 8080,
    trans_depth: 2,
    method: 'GET',
    host: 'www.example.com:8080',
    uri: '/a?b=c',
    version: '1.1',
    user_agent: 'curl/8',
    request_body_len: 0,
    response_body_len: 42,
    status_code: 404,
    status_msg: 'Not Found',
    content_type: 'text/html',
    content_length: 42,
  };
  const r = eveHttp(log);
  assert.equal(r['tx_id'], 1);
  assert.deepEqual(r['http'], {
    hostname: 'www.example.com',
    http_port: 8080,
    url: '/a?b=c',
    http_user_agent: 'curl/8',
    http_content_type: 'text/html',
    http_method: 'GET',
    protocol: 'HTTP/1.1',
    status: 404,
    length: 42,
  });
  assert.equal(
    (eveHttp({ ...log, host: '[2001:db8::1]:81' })['http'] as EveRecord)['hostname'],
    '[2001:db8::1]',
  );
  assert.equal((eveHttp({ ...log, host: 'plain' })['http'] as EveRecord)['http_port'], undefined);
});
