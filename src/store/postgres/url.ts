/**
 * `--db` values that name a PostgreSQL database rather than a SQLite file. Apart from the client code, so
 * telling the two apart does not load the PostgreSQL client at every start.
 */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL without its password: what messages and summaries show. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '';
    return u.toString().replace(/:@/, '@');
  } catch {
    return url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1@');
  }
}
