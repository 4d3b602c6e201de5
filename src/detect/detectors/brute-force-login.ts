/**
 * brute_force_login: many short connections from one source to one login service (SSH, RDP, FTP, telnet,
 * mail, databases, VNC, SMB), as password guessing makes them. Works on finished flows, so it needs flow
 * tracking; the flows may arrive out of order (at the end of a capture), hence start times are kept.
 */
import { boundedSet, defineDetector } from '../detector.js';
import { pushSample, round6 } from '../window.js';

export const LOGIN_SERVICES: Readonly<Record<number, string>> = {
  21: 'ftp',
  22: 'ssh',
  23: 'telnet',
  110: 'pop3',
  143: 'imap',
  445: 'smb',
  993: 'imaps',
  995: 'pop3s',
  1433: 'mssql',
  3306: 'mysql',
  3389: 'rdp',
  5432: 'postgres',
  5900: 'vnc',
};

/** Start times kept per source, service and target. */
const MAX_STARTS = 128;

interface Attempts {
  total: number;
  starts: number[];
  uids: string[];
  first: number;
}

export const bruteForceLogin = defineDetector({
  id: 'brute_force_login',
  description: 'Many short connections from one source to a login service',
  subscribes: ['flow'],
  defaults: { min_connections: 15, window_s: 300, max_duration_s: 60 },
  docs: {
    min_connections: 'short connections within the window that make a brute force',
    window_s: 'seconds the connections are counted over',
    max_duration_s: 'connections lasting longer are sessions, not attempts',
  },
  create(cfg, ctx) {
    const byTarget = new Map<string, Attempts>();
    return {
      flow(f) {
        const service = f.proto === 'tcp' ? LOGIN_SERVICES[f.resp_p] : undefined;
        if (service === undefined || f.duration > cfg.max_duration_s || f.orig_pkts < 2) return;
        const key = `${f.orig_h}>${f.resp_h}:${f.resp_p}`;
        let a = byTarget.get(key);
        const ts = f.ts / 1e6;
        if (a === undefined) {
          a = { total: 0, starts: [], uids: [], first: ts };
          boundedSet(byTarget, key, a);
        }
        if (a.starts.length >= MAX_STARTS) a.starts.shift();
        a.starts.push(ts);
        a.total++;
        pushSample(a.uids, f.uid, 5);
        a.first = Math.min(a.first, ts);
        let n = 0;
        for (const t of a.starts) if (Math.abs(t - ts) <= cfg.window_s) n++;
        if (n < cfg.min_connections) return;
        const end = ts + f.duration;
        ctx.emit({
          type: 'brute_force_login',
          variant: service,
          severity: 'high',
          src: f.orig_h,
          dst: f.resp_h,
          dstPort: f.resp_p,
          first: a.first,
          ts: end,
          message: `${f.orig_h} made ${a.total} short ${service} connections to ${f.resp_h}:${f.resp_p} (password guessing?)`,
          evidence: {
            connections: a.total,
            within_window: n,
            sample_uids: a.uids,
            last_duration_s: round6(f.duration),
          },
          mitre: 'T1110.001',
          identifier: key,
        });
      },
    };
  },
});
