import { callerOf } from './admin-access';
import { bearerToken, requireAdminToken, tokenMatches } from './admin-token';

describe('admin token', () => {
  const token = 'k'.repeat(31) + 'Z';

  it('refuses to start without a token, or with one under 32 characters, naming the variable and never the value', () => {
    expect(() => requireAdminToken(undefined)).toThrow(/BACKUP_ADMIN_TOKEN, which is not set[\s\S]*openssl rand/);
    expect(() => requireAdminToken('')).toThrow(/not set/);
    const short = 'short-but-secret-31-characters!';
    expect(() => requireAdminToken(short)).toThrow(/BACKUP_ADMIN_TOKEN is 31 characters long; the backup admin API needs at least 32/);
    try {
      requireAdminToken(short);
    } catch (err) {
      expect(String(err)).not.toContain(short);
    }
    expect(requireAdminToken(token)).toBe(token);
  });

  it('matches only the exact token, whatever the length of the one given', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, token.slice(0, -1))).toBe(false);
    expect(tokenMatches(token, token + 'x')).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
  });

  it('reads the token of a Bearer header only', () => {
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`bearer  ${token} `)).toBe(token);
    expect(bearerToken(`Basic ${token}`)).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it("names a guard's caller from request.user", () => {
    expect(callerOf({ username: 'alice', id: 7 })).toBe('alice');
    expect(callerOf({ sub: 'auth0|42' })).toBe('auth0|42');
    expect(callerOf({ id: 7 })).toBe('7');
    expect(callerOf('bob')).toBe('bob');
    expect(callerOf(undefined)).toBe('guard');
    expect(callerOf({ roles: ['ops'] })).toBe('guard');
  });
});
