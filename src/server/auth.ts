import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A token for `--listen` on a non-loopback address when none is given: 192 random bits. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The addresses that need no token: 127.0.0.1, ::1 and `localhost`, as the issue says ("any other address
 * requires a token"). Other 127/8 addresses count as other addresses, which also lets tests exercise the
 * token on a loopback address nobody else uses.
 */
export function isTokenFree(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1';
}

/**
 * Checks an `Authorization: Bearer …` header against the token in constant time. Both sides are hashed
 * first, so the comparison takes the same time whatever the length of the guess.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m === null) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}
