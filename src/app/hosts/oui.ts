/**
 * MAC address → organisation, from the IEEE registry as the `oui-data` npm package ships it (MA-L, MA-M and
 * MA-S assignments keyed by 6, 7 or 9 hex digits). The 5.6 MB JSON file is read once, on the first lookup,
 * so a run that writes no inventory never pays for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let registry: Record<string, string> | null = null;

function load(): Record<string, string> {
  if (registry === null) {
    const path = createRequire(import.meta.url).resolve('oui-data');
    registry = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  }
  return registry;
}

/**
 * The organisation (first line of the registry entry) for `mac` (aa:bb:cc:dd:ee:ff); null when the prefix is
 * not assigned, or the address is locally administered (randomised, as phones use per network).
 */
export function macVendor(mac: string): string | null {
  const hex = mac.replaceAll(':', '').toUpperCase();
  if (hex.length !== 12 || (parseInt(hex.slice(0, 2), 16) & 0x02) !== 0) return null;
  const r = load();
  const entry = r[hex.slice(0, 9)] ?? r[hex.slice(0, 7)] ?? r[hex.slice(0, 6)];
  if (entry === undefined) return null;
  const nl = entry.indexOf('\n');
  return nl < 0 ? entry : entry.slice(0, nl);
}
