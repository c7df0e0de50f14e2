import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_MIN_LENGTH } from './admin.constants';
import { AdminTokenError } from './admin.errors';

/**
 * The configured bearer token, checked once at start: the API refuses to start without one or
 * with one shorter than 32 characters, rather than serve with a guessable secret.
 */
export function requireAdminToken(token: string | undefined): string {
  const hint = `Set ${ADMIN_TOKEN_ENV} to a random string of at least ${ADMIN_TOKEN_MIN_LENGTH} characters (for example: openssl rand -base64 36), or pass your own guard to BackupAdminModule.register({ guard }).`;
  if (!token) throw new AdminTokenError(`The backup admin API needs ${ADMIN_TOKEN_ENV}, which is not set`, hint);
  if (token.length < ADMIN_TOKEN_MIN_LENGTH) {
    throw new AdminTokenError(
      `${ADMIN_TOKEN_ENV} is ${token.length} characters long; the backup admin API needs at least ${ADMIN_TOKEN_MIN_LENGTH}`,
      hint,
    );
  }
  return token;
}

/**
 * Constant-time comparison: both sides are hashed first, so timingSafeEqual compares equal
 * lengths and the time taken says nothing about the token's length or its first characters.
 */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m?.[1];
}
