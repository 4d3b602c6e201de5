import { join } from 'node:path';
import { fileInputs, readCaptures } from '../../src/pipeline.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PCAPS_DIR } from './corpus.js';

/**
 * Reads corpus captures (file names in corpus/pcaps) through the pipeline into the SQLite file `db`, with
 * repeatable flow uids; returns each file's capture id. `bulkLoad` as `nta read` opens the store.
 */
export async function readCorpusInto(
  db: string,
  names: readonly string[],
  options: { bulkLoad?: boolean } = {},
): Promise<Map<string, number>> {
  const store = await SqliteStore.open(db, options);
  try {
    const summary = await readCaptures({
      inputs: fileInputs(names.map((n) => join(PCAPS_DIR, n))),
      store,
      flows: { uidSeed: 1 },
    });
    return new Map(summary.sources.map((s, i) => [names[i]!, s.captureId!]));
  } finally {
    await store.close();
  }
}
