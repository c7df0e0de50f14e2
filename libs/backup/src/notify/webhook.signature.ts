import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw request body under the shared secret>`. */
export const SIGNATURE_HEADER = 'X-Backup-Signature';
/** Header carrying the event name, e.g. "backup.failed". */
export const EVENT_HEADER = 'X-Backup-Event';
/** Header carrying the send time (ISO 8601); it is inside the signed body too, as `sentAt`. */
export const TIMESTAMP_HEADER = 'X-Backup-Timestamp';

/** The X-Backup-Signature value for a body: "sha256=" + hex HMAC-SHA256 under `secret`. */
export function signWebhookBody(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * For receivers: true when `header` (the X-Backup-Signature value) is the HMAC-SHA256 of the
 * exact raw body bytes under `secret`. Verify the bytes as received, before any JSON parsing
 * (re-serialising changes them). Compares in constant time so the signature cannot be guessed
 * byte by byte. To refuse replays, also check that the body's `sentAt` is recent.
 *
 * @example
 *   app.post('/backup-hook', express.raw({ type: 'application/json' }), (req, res) => {
 *     if (!verifyWebhookSignature(req.body, req.get('X-Backup-Signature'), process.env.SECRET!)) {
 *       return res.sendStatus(401);
 *     }
 *     const event = JSON.parse(req.body.toString('utf8'));
 *     ...
 *   });
 */
export function verifyWebhookSignature(rawBody: string | Buffer, header: string | string[] | undefined | null, secret: string): boolean {
  if (typeof header !== 'string' || !secret) return false;
  const expected = Buffer.from(signWebhookBody(rawBody, secret), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual throws on different lengths; the length of a valid signature is public.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
