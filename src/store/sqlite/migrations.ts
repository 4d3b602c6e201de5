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
];

export const SCHEMA_VERSION = MIGRATIONS.length;
