/**
 * One line for a failed restore step: the message's first line, plus the tool's own ERROR line
 * when the first one does not carry it (the mariadb client echoes the failed statement between
 * lines of dashes before its error). The hint after "→" is left to the wrapping error.
 */
export function failureSummary(message: string): string {
  const lines = message.split('\n  → ')[0].split('\n');
  const kept = lines.map((l) => l.trim()).filter((l) => l && !/^-+$/.test(l));
  const first = (kept[0] ?? '').replace(/:\s*-+$/, ':');
  const error = /error/i.test(first) ? undefined : kept.slice(1).find((l) => /\berror\b/i.test(l));
  return error ? `${first} ${error}` : first;
}
