import type Database from 'better-sqlite3';

/** 'NTA1': marks a SQLite file as an nta database (PRAGMA application_id). */
export const NTA_APPLICATION_ID = 0x4e544131;

/** The seed tool's table; a database holding only this is migrated, never refused. */
export const SEED_TRAFFIC_COLUMNS = [
  'id',
  'timestamp',
  'src_ip',
  'dst_ip',
  'protocol',
  'src_port',
  'dst_port',
];

/**
 * Fills empty `traffic_seconds`, `traffic_hosts` and `traffic_ports` from `traffic` (migration 9 → 10 uses
 * it; so do tests that edit traffic rows behind the writer's back). Frozen as shipped, like the migrations.
 */
export const TRAFFIC_SUMS_FROM_TRAFFIC = `
  INSERT INTO traffic_seconds
    SELECT capture_id, unixepoch(substr(timestamp, 1, 19)), COALESCE(protocol, ''), COUNT(*),
           COALESCE(SUM(length), 0), MIN(timestamp), MAX(timestamp), MIN(id), MAX(id)
    FROM traffic GROUP BY 1, 2, 3;
  INSERT INTO traffic_hosts
    SELECT capture_id, host, SUM(sp), SUM(sb), SUM(rp), SUM(rb) FROM (
      SELECT capture_id, src_ip AS host, COUNT(*) AS sp, COALESCE(SUM(length), 0) AS sb, 0 AS rp, 0 AS rb
      FROM traffic WHERE src_ip IS NOT NULL GROUP BY 1, 2
      UNION ALL
      SELECT capture_id, dst_ip, 0, 0, COUNT(*), COALESCE(SUM(length), 0)
      FROM traffic WHERE dst_ip IS NOT NULL GROUP BY 1, 2)
    GROUP BY 1, 2;
  INSERT INTO traffic_ports
    SELECT capture_id, COALESCE(protocol, ''), MIN(src_port, dst_port), COUNT(*), COALESCE(SUM(length), 0)
    FROM traffic WHERE src_port IS NOT NULL AND dst_port IS NOT NULL GROUP BY 1, 2, 3`;

/**
 * Fills empty `traffic_host_seconds` and `traffic_port_seconds` from `traffic` (the migration that adds
 * them uses it; so do tests that edit traffic rows behind the writer's back). Rows without a time (or with
 * one that is not a date, as the seed tool's) are left out: no time range finds them in traffic_seconds
 * either. Frozen as shipped, like the migrations.
 */
export const SECOND_SUMS_FROM_TRAFFIC = `
  INSERT INTO traffic_host_seconds
    SELECT capture_id, second, host, SUM(sp), SUM(sb), SUM(rp), SUM(rb) FROM (
      SELECT capture_id, second, src_ip AS host, COUNT(*) AS sp, COALESCE(SUM(length), 0) AS sb, 0 AS rp, 0 AS rb
      FROM (SELECT *, unixepoch(substr(timestamp, 1, 19)) AS second FROM traffic)
      WHERE second IS NOT NULL AND src_ip IS NOT NULL GROUP BY 1, 2, 3
      UNION ALL
      SELECT capture_id, second, dst_ip, 0, 0, COUNT(*), COALESCE(SUM(length), 0)
      FROM (SELECT *, unixepoch(substr(timestamp, 1, 19)) AS second FROM traffic)
      WHERE second IS NOT NULL AND dst_ip IS NOT NULL GROUP BY 1, 2, 3)
    GROUP BY 1, 2, 3;
  INSERT INTO traffic_port_seconds
    SELECT capture_id, second, COALESCE(protocol, ''), MIN(src_port, dst_port), COUNT(*), COALESCE(SUM(length), 0)
    FROM (SELECT *, unixepoch(substr(timestamp, 1, 19)) AS second FROM traffic)
    WHERE second IS NOT NULL AND src_port IS NOT NULL AND dst_port IS NOT NULL GROUP BY 1, 2, 3, 4`;

/** MIGRATIONS[v] takes a database from schema version v to v + 1. Never edit a shipped migration. */
export const MIGRATIONS: readonly ((db: Database.Database) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE captures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        format TEXT,
        link_types TEXT,
        status TEXT NOT NULL,
        error TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        first_packet TEXT,
        last_packet TEXT,
        packets INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        ip_packets INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        unknown_link_type INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        if_dropped INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS traffic (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT,
        src_ip TEXT,
        dst_ip TEXT,
        protocol TEXT,
        src_port INTEGER,
        dst_port INTEGER
      );
    `);
    const have = new Set(
      (db.prepare(`SELECT name FROM pragma_table_info('traffic')`).all() as { name: string }[]).map(
        (c) => c.name,
      ),
    );
    const added: [string, string][] = [
      ['frame', 'INTEGER'],
      ['ip_proto', 'INTEGER'],
      ['length', 'INTEGER'],
      ['capture_id', 'INTEGER REFERENCES captures(id)'],
    ];
    for (const [name, type] of added)
      if (!have.has(name)) db.exec(`ALTER TABLE traffic ADD COLUMN ${name} ${type}`);
  },
  // 1 → 2: the `flows` table (schema/conn.ts; Zeek conn.log names). Its columns are spelled out here, frozen
  // as shipped; a test checks them against the schema definition.
  (db) => {
    db.exec(`
      CREATE TABLE flows (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uid TEXT NOT NULL,
        duration REAL NOT NULL,
        orig_h TEXT NOT NULL,
        orig_p INTEGER NOT NULL,
        resp_h TEXT NOT NULL,
        resp_p INTEGER NOT NULL,
        proto TEXT NOT NULL,
        service TEXT,
        conn_state TEXT NOT NULL,
        history TEXT,
        orig_pkts INTEGER NOT NULL,
        orig_bytes INTEGER NOT NULL,
        resp_pkts INTEGER NOT NULL,
        resp_bytes INTEGER NOT NULL,
        orig_ip_bytes INTEGER NOT NULL,
        resp_ip_bytes INTEGER NOT NULL,
        community_id TEXT NOT NULL,
        vlan INTEGER,
        ip_proto INTEGER NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
      );
      -- flows in a time range; top talkers and flows of host X (either side), each by time
      CREATE INDEX flows_ts ON flows (ts_us);
      CREATE INDEX flows_orig_h ON flows (orig_h, ts_us);
      CREATE INDEX flows_resp_h ON flows (resp_h, ts_us);
      CREATE INDEX flows_uid ON flows (uid);
    `);
  },
  // 2 → 3: application logs (schema/dns.ts, tls.ts, http.ts; Zeek dns/ssl/http.log names), spelled out and
  // frozen like flows; a test checks them against the schema definitions.
  (db) => {
    db.exec(`
      CREATE TABLE dns (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uid TEXT NOT NULL,
        orig_h TEXT NOT NULL,
        orig_p INTEGER NOT NULL,
        resp_h TEXT NOT NULL,
        resp_p INTEGER NOT NULL,
        proto TEXT NOT NULL,
        trans_id INTEGER NOT NULL,
        rtt REAL,
        query TEXT,
        qclass INTEGER,
        qtype INTEGER,
        qtype_name TEXT,
        rcode INTEGER,
        rcode_name TEXT,
        AA INTEGER NOT NULL,
        TC INTEGER NOT NULL,
        RD INTEGER NOT NULL,
        RA INTEGER NOT NULL,
        answers TEXT,
        TTLs TEXT,
        rejected INTEGER NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX dns_ts ON dns (ts_us);
      CREATE INDEX dns_uid ON dns (uid);
      CREATE INDEX dns_query ON dns (query);
      CREATE TABLE tls (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uid TEXT NOT NULL,
        orig_h TEXT NOT NULL,
        orig_p INTEGER NOT NULL,
        resp_h TEXT NOT NULL,
        resp_p INTEGER NOT NULL,
        version TEXT,
        cipher TEXT,
        server_name TEXT,
        next_protocol TEXT,
        client_alpn TEXT,
        client_version TEXT,
        ja4 TEXT,
        ja3 TEXT,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX tls_ts ON tls (ts_us);
      CREATE INDEX tls_uid ON tls (uid);
      CREATE INDEX tls_server_name ON tls (server_name);
      CREATE TABLE http (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uid TEXT NOT NULL,
        orig_h TEXT NOT NULL,
        orig_p INTEGER NOT NULL,
        resp_h TEXT NOT NULL,
        resp_p INTEGER NOT NULL,
        trans_depth INTEGER NOT NULL,
        method TEXT,
        host TEXT,
        uri TEXT,
        version TEXT,
        user_agent TEXT,
        request_body_len INTEGER NOT NULL,
        response_body_len INTEGER NOT NULL,
        status_code INTEGER,
        status_msg TEXT,
        content_type TEXT,
        content_length INTEGER,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX http_ts ON http (ts_us);
      CREATE INDEX http_uid ON http (uid);
      CREATE INDEX http_host ON http (host);
    `);
  },
  // 3 → 4: `alerts` (schema/alert.ts; rows are updated in place while duplicates merge) and `allowlist`
  // (entries made by `nta alerts mute`). Columns spelled out, frozen as shipped.
  (db) => {
    db.exec(`
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        variant TEXT,
        severity TEXT NOT NULL,
        src_ip TEXT NOT NULL,
        dst_ip TEXT,
        dst_port INTEGER,
        first_seen TEXT NOT NULL,
        first_seen_us INTEGER NOT NULL,
        last_seen TEXT NOT NULL,
        last_seen_us INTEGER NOT NULL,
        count INTEGER NOT NULL,
        message TEXT NOT NULL,
        evidence TEXT NOT NULL,
        mitre TEXT,
        capture_id INTEGER REFERENCES captures(id),
        -- set by the dashboard's acknowledge (UTC text), NULL while the alert is open
        acknowledged_at TEXT
      );
      CREATE INDEX alerts_first_seen ON alerts (first_seen_us);
      CREATE INDEX alerts_type ON alerts (type, first_seen_us);
      CREATE TABLE allowlist (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT,
        src TEXT,
        dst TEXT,
        port INTEGER,
        domain TEXT,
        comment TEXT NOT NULL,
        alert_id TEXT,
        created_at TEXT NOT NULL
      );
    `);
  },
  // 4 → 5: DHCP exchanges (schema/dhcp.ts, Zeek dhcp.log names), QUIC Initials (schema/quic.ts, Zeek
  // quic.log names) and the device inventory (schema/hosts.ts),
  // one row per capture and MAC, replaced while a live capture rewrites it.
  (db) => {
    db.exec(`
      CREATE TABLE dhcp (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uids TEXT NOT NULL,
        client_addr TEXT,
        server_addr TEXT,
        mac TEXT,
        host_name TEXT,
        client_fqdn TEXT,
        domain TEXT,
        requested_addr TEXT,
        assigned_addr TEXT,
        lease_time REAL,
        client_software TEXT,
        msg_types TEXT NOT NULL,
        duration REAL NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX dhcp_ts ON dhcp (ts_us);
      CREATE INDEX dhcp_mac ON dhcp (mac);
      CREATE TABLE quic (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uid TEXT NOT NULL,
        orig_h TEXT NOT NULL,
        orig_p INTEGER NOT NULL,
        resp_h TEXT NOT NULL,
        resp_p INTEGER NOT NULL,
        version TEXT NOT NULL,
        client_initial_dcid TEXT NOT NULL,
        server_name TEXT,
        client_protocol TEXT,
        client_alpn TEXT,
        ja4 TEXT,
        cipher TEXT,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX quic_ts ON quic (ts_us);
      CREATE INDEX quic_uid ON quic (uid);
      CREATE INDEX quic_server_name ON quic (server_name);
      CREATE TABLE hosts (
        id INTEGER PRIMARY KEY,
        mac TEXT NOT NULL,
        ips TEXT NOT NULL,
        router INTEGER NOT NULL,
        vendor TEXT,
        host_name TEXT,
        name_source TEXT,
        first_seen TEXT NOT NULL,
        first_seen_us INTEGER NOT NULL,
        last_seen TEXT NOT NULL,
        last_seen_us INTEGER NOT NULL,
        pkts_out INTEGER NOT NULL,
        bytes_out INTEGER NOT NULL,
        pkts_in INTEGER NOT NULL,
        bytes_in INTEGER NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE UNIQUE INDEX hosts_capture_mac ON hosts (capture_id, mac);
      CREATE INDEX hosts_host_name ON hosts (host_name);
    `);
  },
  // tls: Zeek ssl.log's curve, resumed and established, and the server certificate (TLS ≤ 1.2) as ssl.log
  // and x509.log give it (schema/tls.ts). Added columns come after capture_id; the writers name columns.
  (db) => {
    db.exec(`
      ALTER TABLE tls ADD COLUMN curve TEXT;
      ALTER TABLE tls ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tls ADD COLUMN established INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tls ADD COLUMN cert_chain_fps TEXT;
      ALTER TABLE tls ADD COLUMN subject TEXT;
      ALTER TABLE tls ADD COLUMN issuer TEXT;
      ALTER TABLE tls ADD COLUMN not_valid_before TEXT;
      ALTER TABLE tls ADD COLUMN not_valid_before_us INTEGER;
      ALTER TABLE tls ADD COLUMN not_valid_after TEXT;
      ALTER TABLE tls ADD COLUMN not_valid_after_us INTEGER;
    `);
  },
  // dhcp: the client identifier (option 61) and the option 55 fingerprint; the same and the vendor class
  // in hosts; dhcpv6 exchanges (schema/dhcpv6.ts). Added columns come after capture_id; the writers name columns.
  (db) => {
    db.exec(`
      ALTER TABLE dhcp ADD COLUMN client_id TEXT;
      ALTER TABLE dhcp ADD COLUMN fingerprint TEXT;
      ALTER TABLE hosts ADD COLUMN dhcp_vendor_class TEXT;
      ALTER TABLE hosts ADD COLUMN dhcp_fingerprint TEXT;
      CREATE TABLE dhcpv6 (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        ts_us INTEGER NOT NULL,
        uids TEXT NOT NULL,
        trans_id INTEGER NOT NULL,
        client_addr TEXT,
        server_addr TEXT,
        client_duid TEXT,
        server_duid TEXT,
        mac TEXT,
        client_fqdn TEXT,
        vendor_class TEXT,
        requested_addrs TEXT,
        assigned_addrs TEXT,
        delegated_prefixes TEXT,
        msg_types TEXT NOT NULL,
        duration REAL NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
      );
      CREATE INDEX dhcpv6_ts ON dhcpv6 (ts_us);
      CREATE INDEX dhcpv6_mac ON dhcpv6 (mac);
    `);
  },
  // 7 → 8: what detectors learned (schema/learned.ts), kept across runs: one row per detector and key,
  // value JSON, replaced at the end of each run.
  (db) => {
    db.exec(`
      CREATE TABLE learned (
        detector TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (detector, key)
      ) WITHOUT ROWID;
    `);
  },
  // 8 → 9: captures.file, the absolute path of the file holding the capture's frames under their frame
  // numbers (the file read, or a live capture's single -w file); NULL for stdin and unsaved live captures.
  // `nta alerts --pcap` reads an alert's evidence frames back from it.
  (db) => {
    db.exec('ALTER TABLE captures ADD COLUMN file TEXT');
  },
  // 9 → 10: sums of the traffic table that the writer keeps in the same transaction as the rows (see
  // traffic-sums.ts), so totals, time series, talkers and ports need not read every packet:
  // - traffic_seconds per capture, second and protocol. protocol is '' where traffic.protocol is NULL (a
  //   unique key needs a value); second is unixepoch of the timestamp's whole seconds, NULL for untimed rows
  //   (NULL never conflicts: each batch with untimed rows adds its own row). first_ts/last_ts are the
  //   group's MIN/MAX(timestamp); first_id/last_id bound its rowids in traffic, so the rows of a time range
  //   are found without an index on traffic.timestamp (which would slow every insert).
  // - traffic_hosts per capture and address (as src_ip, as dst_ip), traffic_ports per capture, protocol and
  //   service port (the lower of src_port and dst_port, rows with both): no time, so they answer for whole
  //   captures; time ranges read traffic within the rowids traffic_seconds gives.
  // Existing rows are summed here once.
  (db) => {
    db.exec(`
      CREATE TABLE traffic_seconds (
        capture_id INTEGER,
        second INTEGER,
        protocol TEXT NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        first_ts TEXT,
        last_ts TEXT,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX traffic_seconds_key ON traffic_seconds (second, protocol, capture_id);
      CREATE TABLE traffic_hosts (
        capture_id INTEGER,
        host TEXT NOT NULL,
        sent_packets INTEGER NOT NULL,
        sent_bytes INTEGER NOT NULL,
        received_packets INTEGER NOT NULL,
        received_bytes INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX traffic_hosts_key ON traffic_hosts (host, capture_id);
      CREATE TABLE traffic_ports (
        capture_id INTEGER,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX traffic_ports_key ON traffic_ports (protocol, port, capture_id);
    `);
    db.exec(TRAFFIC_SUMS_FROM_TRAFFIC);
  },
  // 10 → 11: for the dashboard on millions of flows, as PostgreSQL's migration 9: the flows per responder
  // and the DNS queries per name, summed per UTC day of ts_us (day number since 1970) and capture by the log
  // writer in each batch's transaction (see log-sums.ts), for the flow count, top destinations and top
  // domains over everything stored; and an index on the flows page's sort by bytes (the API's ORDER BY
  // expression). Existing rows are summed here once.
  (db) => {
    db.exec(`
      CREATE TABLE flow_destinations (
        day INTEGER NOT NULL,
        capture_id INTEGER,
        resp_h TEXT NOT NULL,
        flows INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX flow_destinations_key ON flow_destinations (resp_h, day, capture_id);
      CREATE TABLE dns_queries (
        day INTEGER NOT NULL,
        capture_id INTEGER,
        query TEXT NOT NULL,
        queries INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX dns_queries_key ON dns_queries (query, day, capture_id);
      INSERT INTO flow_destinations
        SELECT ts_us / 86400000000, capture_id, resp_h, COUNT(*), SUM(orig_ip_bytes + resp_ip_bytes)
        FROM flows GROUP BY 1, 2, 3;
      INSERT INTO dns_queries
        SELECT ts_us / 86400000000, capture_id, query, COUNT(*) FROM dns WHERE query IS NOT NULL GROUP BY 1, 2, 3;
      CREATE INDEX flows_bytes ON flows ((orig_ip_bytes + resp_ip_bytes));
    `);
  },
  // 11 → 12: the address and service-port sums per second as well (see traffic-sums.ts), kept by the writer
  // like the others, so talkers and ports of a time range read the range's seconds, not its packets:
  // traffic_host_seconds per capture, second and address, traffic_port_seconds per capture, second,
  // protocol ('' for NULL) and service port. Only rows with a time: no range holds the others. Keyed by
  // second first, for ranges. Existing rows are summed here once.
  (db) => {
    db.exec(`
      CREATE TABLE traffic_host_seconds (
        capture_id INTEGER,
        second INTEGER NOT NULL,
        host TEXT NOT NULL,
        sent_packets INTEGER NOT NULL,
        sent_bytes INTEGER NOT NULL,
        received_packets INTEGER NOT NULL,
        received_bytes INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX traffic_host_seconds_key ON traffic_host_seconds (second, host, capture_id);
      CREATE TABLE traffic_port_seconds (
        capture_id INTEGER,
        second INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX traffic_port_seconds_key ON traffic_port_seconds (second, protocol, port, capture_id);
    `);
    db.exec(SECOND_SUMS_FROM_TRAFFIC);
  },
  // 12 → 13: the flows page on millions of flows (see routes/flows.ts): an index for each order it offers
  // that had none (each index ends with the rowid, the page's tie-break), so a page is read, not sorted;
  // service's, newest first, also answers its filter and prefix search.
  (db) => {
    db.exec(`
      CREATE INDEX flows_packets ON flows ((orig_pkts + resp_pkts));
      CREATE INDEX flows_duration ON flows (duration);
      CREATE INDEX flows_service ON flows (service, ts_us);
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;
