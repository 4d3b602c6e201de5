/**
 * A row of the `allowlist` table, as `nta alerts mute` makes it, `nta alerts allowlist` lists it and the
 * API returns it: what to stay quiet about (each scope column null = any) and why.
 */
export interface AllowlistRow {
  id: number;
  type: string | null;
  src: string | null;
  dst: string | null;
  port: number | null;
  domain: string | null;
  comment: string;
  alert_id: string | null;
  created_at: string;
}
