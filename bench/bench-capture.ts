import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const OUT_DIR = join(ROOT, 'bench', 'out');
export const NTA = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** The deterministic 2M-packet benchmark capture (../shared/bench/make-bench-pcap.sh). */
export const BENCH_CAPTURE = join(OUT_DIR, 'bench-2m.pcap');

/** Builds the benchmark capture at `path` with the shared script when it is not there yet. */
export function ensureBenchCapture(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const script = resolve(ROOT, '..', 'shared', 'bench', 'make-bench-pcap.sh');
  console.log(`building ${path} with ${script} (needs tcpreplay, tshark, xz-utils, python3-scapy)…`);
  const r = spawnSync('bash', [script, path], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`make-bench-pcap.sh failed (exit ${r.status})`);
}
