/**
 * Detection settings: the configuration file (see config-file.ts), merged with command-line flags, which
 * take precedence. Decided once at start-up (STYLE.md E15).
 */
import { NtaError } from '../core/errors.js';
import type { AlertType } from '../schema/alert.js';
import { Allowlist, type AllowEntry } from './allowlist.js';
import { loadBlocklists } from './blocklist.js';
import { cidrSetOf, DEFAULT_HOME_NETWORKS, parseCidr } from './cidr.js';
import type { DetectConfig } from './config-file.js';
import type { EngineOptions, EnabledDetector } from './engine.js';
import { DETECTORS } from './registry.js';
import { DEFAULT_SUPPRESS_SECONDS } from './suppress.js';

/** The validated config file, or no settings without one. */
export async function loadDetectConfig(path: string | undefined): Promise<DetectConfig> {
  if (path === undefined) return {};
  return (await import('./config-file.js')).loadConfigFile(path);
}

export interface DetectFlags {
  readonly homeNets?: readonly string[] | undefined;
  readonly blocklists?: readonly string[] | undefined;
  /** Extra allowlist entries (kept in the database by `nta alerts mute`). */
  readonly allow?: readonly AllowEntry[] | undefined;
}

/** Engine options from the config file's settings (see loadDetectConfig) and the flags. */
export function engineOptions(flags: DetectFlags, cfg: DetectConfig = {}): Omit<EngineOptions, 'onAlert'> {
  for (const n of flags.homeNets ?? [])
    if (parseCidr(n) === null)
      throw new NtaError('NTA_ERR_CONFIG', `--home-net ${n}: not an address or CIDR`);
  const homeNets =
    flags.homeNets !== undefined && flags.homeNets.length > 0
      ? flags.homeNets
      : (cfg.home_networks ?? DEFAULT_HOME_NETWORKS);
  const blocklist = loadBlocklists([...(cfg.blocklists ?? []), ...(flags.blocklists ?? [])]);
  const allowlist = new Allowlist([...(cfg.allowlist ?? []), ...(flags.allow ?? [])]);
  const detectors: EnabledDetector[] = [];
  const perDetector = (cfg.detectors ?? {}) as Partial<Record<AlertType, Record<string, number | boolean>>>;
  for (const d of DETECTORS) {
    const { enabled, ...thresholds } = perDetector[d.id] ?? {};
    if (enabled === false) continue;
    detectors.push({ detector: d, thresholds: thresholds as Record<string, number> });
  }
  return {
    detectors,
    home: cidrSetOf(homeNets),
    blocklist,
    allowlist,
    suppressSeconds: cfg.suppress_s ?? DEFAULT_SUPPRESS_SECONDS,
  };
}
