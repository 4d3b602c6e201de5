/**
 * Duplicate merging on packet time (STYLE.md E11): a notice whose identity (type + identifier) matches an
 * alert last seen less than the suppression window ago updates that alert (count, last_seen, evidence)
 * instead of raising a new one. Replaying a capture gives the same alerts as the live run did.
 */
import { randomBytes } from 'node:crypto';
import { SEVERITIES, type AlertLog, type AlertType, type Severity } from '../schema/alert.js';
import type { Notice } from './detector.js';

/** Zeek's default_suppression_interval. */
export const DEFAULT_SUPPRESS_SECONDS = 3600;
/** Alert identities remembered at once; beyond it the least recently raised are forgotten. */
const MAX_ALERTS = 100_000;

export interface Alert {
  readonly id: string;
  readonly type: AlertType;
  variant: string | null;
  severity: Severity;
  readonly src: string;
  dst: string | null;
  dstPort: number | null;
  first: number;
  last: number;
  count: number;
  message: string;
  evidence: Readonly<Record<string, unknown>>;
  mitre: string | null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newAlertId(): string {
  let id = 'A';
  for (const b of randomBytes(12)) id += BASE62[b % 62];
  return id;
}

export class Suppressor {
  readonly #windowSec: number;
  readonly #byKey = new Map<string, Alert>();

  constructor(windowSec = DEFAULT_SUPPRESS_SECONDS) {
    this.#windowSec = windowSec;
  }

  /** The alert `n` becomes or merges into, and whether it is new. */
  admit(n: Notice): { alert: Alert; isNew: boolean } {
    const key = `${n.type}\u0000${n.identifier}`;
    const prev = this.#byKey.get(key);
    if (prev !== undefined && n.ts - prev.last <= this.#windowSec) {
      if (n.refresh !== true) prev.count++;
      prev.first = Math.min(prev.first, n.first);
      prev.last = Math.max(prev.last, n.ts);
      prev.message = n.message;
      prev.evidence = n.evidence;
      if (n.variant !== undefined) prev.variant = n.variant;
      if (SEVERITIES.indexOf(n.severity) > SEVERITIES.indexOf(prev.severity)) prev.severity = n.severity;
      if (n.dst !== undefined) prev.dst = n.dst;
      if (n.dstPort !== undefined) prev.dstPort = n.dstPort;
      // Re-insert: the map stays ordered by last activity, so eviction drops the stalest identity.
      this.#byKey.delete(key);
      this.#byKey.set(key, prev);
      return { alert: prev, isNew: false };
    }
    const alert: Alert = {
      id: newAlertId(),
      type: n.type,
      variant: n.variant ?? null,
      severity: n.severity,
      src: n.src,
      dst: n.dst ?? null,
      dstPort: n.dstPort ?? null,
      first: Math.min(n.first, n.ts),
      last: n.ts,
      count: 1,
      message: n.message,
      evidence: n.evidence,
      mitre: n.mitre ?? null,
    };
    this.#byKey.delete(key);
    if (this.#byKey.size >= MAX_ALERTS) {
      const oldest = this.#byKey.keys().next();
      if (oldest.done !== true) this.#byKey.delete(oldest.value);
    }
    this.#byKey.set(key, alert);
    return { alert, isNew: true };
  }

  /** Forgets identities whose window has passed. */
  sweep(now: number): void {
    for (const [key, a] of this.#byKey) {
      if (now - a.last <= this.#windowSec) break; // ordered by last activity
      this.#byKey.delete(key);
    }
  }
}

const toMicros = (sec: number): number => Math.round(sec * 1e6);

/** The alert as an `alerts` row (times as integer microseconds, evidence as JSON text). */
export function toAlertLog(a: Alert): AlertLog {
  return {
    id: a.id,
    type: a.type,
    variant: a.variant,
    severity: a.severity,
    src_ip: a.src,
    dst_ip: a.dst,
    dst_port: a.dstPort,
    first_seen: toMicros(a.first),
    last_seen: toMicros(a.last),
    count: a.count,
    message: a.message,
    evidence: JSON.stringify(a.evidence),
    mitre: a.mitre,
  };
}
