import { AuditOutcome } from './audit.types';

/**
 * Helpers for the facts each feature gives its audit record (`<feature>.audit.ts` beside the
 * feature: the record describes the feature's own report, so audit/ imports none of them).
 */

/** Every part succeeded, some did, or none did (no parts: failure). */
export function outcomeOf(results: boolean[]): AuditOutcome {
  if (results.length > 0 && results.every(Boolean)) return 'success';
  return results.some(Boolean) ? 'partial' : 'failure';
}

export const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
export const joinOrNull = (values: Array<string | undefined>): string | null =>
  [...new Set(values.filter((v): v is string => !!v))].join(',') || null;
