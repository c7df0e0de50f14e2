/**
 * Secrets must never reach a log line, an error message or a notification. Every string that
 * crosses one of those boundaries goes through a Redactor that knows the configured secrets.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Array<string | undefined | null>) {
    // Longest first so a secret that contains another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // Credentials embedded in URLs (postgres://user:pass@host) are masked even when unknown.
    return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@');
  }
}

/** Every string inside a plain JSON value (objects, arrays) redacted; other values unchanged. */
export function redactDeep<T>(value: T, redactor: Redactor): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redactor)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, redactor);
    return out as T;
  }
  return value;
}
