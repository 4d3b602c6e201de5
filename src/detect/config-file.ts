/**
 * The detection configuration file: YAML validated with zod (unknown keys are errors, each reported as one
 * line naming the key). Loaded only when --config names a file: zod and yaml are a tenth of start-up.
 *
 * ```yaml
 * home_networks: [192.168.1.0/24, fd00::/8]   # replaces the defaults
 * blocklists: [/etc/nta/drop.txt]
 * suppress_s: 3600
 * allowlist:
 *   - { type: external_connection, dst: 203.0.113.0/24, comment: "our VPS" }
 * detectors:
 *   port_scan_vertical: { min_ports: 50 }
 *   new_device: { enabled: false }
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { NtaError } from '../core/errors.js';
import { ALERT_TYPES } from '../schema/alert.js';
import { parseCidr } from './cidr.js';
import type { Detector } from './detector.js';
import { DETECTORS } from './registry.js';

const cidr = z.string().refine((s) => parseCidr(s) !== null, { message: 'not an address or CIDR' });

const detectorSchema = (d: Detector): z.ZodType => {
  const shape: Record<string, z.ZodType> = { enabled: z.boolean().optional() };
  for (const k of Object.keys(d.defaults)) shape[k] = z.number().positive().optional();
  return z.strictObject(shape).optional();
};

const detectorsShape: Record<string, z.ZodType> = {};
for (const d of DETECTORS) detectorsShape[d.id] = detectorSchema(d);

const allowSchema = z.strictObject({
  type: z.enum(ALERT_TYPES).optional(),
  src: cidr.optional(),
  dst: cidr.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  domain: z.string().optional(),
  comment: z.string(),
});

export const configSchema = z.strictObject({
  home_networks: z.array(cidr).optional(),
  blocklists: z.array(z.string()).optional(),
  suppress_s: z.number().positive().optional(),
  allowlist: z.array(allowSchema).optional(),
  detectors: z.strictObject(detectorsShape).optional(),
});

export type DetectConfig = z.infer<typeof configSchema>;

function issueLine(file: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path === '' ? k : `${path}.${k}`)).join(', ');
    return `${file}: unknown key ${keys}`;
  }
  return `${file}: ${path === '' ? '(top level)' : path}: ${issue.message}`;
}

/** Reads and validates a config file; NTA_ERR_CONFIG with one line naming the first bad key. */
export function loadConfigFile(path: string): DetectConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new NtaError('NTA_ERR_CONFIG', `${path}: ${msg}`, { cause: err });
  }
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) throw new NtaError('NTA_ERR_CONFIG', issueLine(path, r.error.issues[0]!));
  return r.data;
}
