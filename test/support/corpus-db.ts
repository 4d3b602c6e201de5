import { join } from 'node:path';
import { fileInputs, readCaptures } from '../../src/pipeline.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { PCAPS_DIR } from './corpus.js';

/**
 * Reads corpus captures (file names in corpus/pcaps) through the pipeline into an open `store`, with
 * repeatable flow uids; returns each file's capture id. The caller closes the store.
 */
export async function readCorpusIntoStore(
  store: Store,
  names: readonly string[],
): Promise<Map<string, number>> {
  const summary = await readCaptures({
    inputs: fileInputs(names.map((n) => join(PCAPS_DIR, n))),
    store,
    flows: { uidSeed: 1 },
  });
  return new Map(summary.sources.map((s, i) => [names[i]!, s.captureId!]));
}

/** readCorpusIntoStore into the SQLite file `db`. `bulkLoad` as `nta read` opens the store. */
export async function readCorpusInto(
  db: string,
  names: readonly string[],
  options: { bulkLoad?: boolean } = {},
): Promise<Map<string, number>> {
  const store = await SqliteStore.open(db, options);
  try {
    return await readCorpusIntoStore(store, names);
  } finally {
    await store.close();
  }
}

/** readCorpusIntoStore into the PostgreSQL database at `url` as `sensor` (no retention). */
export async function readCorpusIntoPostgres(
  url: string,
  sensor: string,
  names: readonly string[],
): Promise<Map<string, number>> {
  const store = await PostgresStore.open(url, { sensor, retentionDays: null });
  try {
    return await readCorpusIntoStore(store, names);
  } finally {
    await store.close();
  }
}
