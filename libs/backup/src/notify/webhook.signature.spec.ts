import { createHmac } from 'node:crypto';
import { signWebhookBody, verifyWebhookSignature } from './webhook.signature';

describe('webhook signature', () => {
  const body = '{"event":"backup.failed","appName":"shop"}';
  const secret = 'a-long-shared-secret-0123456789';

  it('is sha256= and the hex HMAC-SHA256 of the raw body', () => {
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(signWebhookBody(body, secret)).toBe(`sha256=${expected}`);
  });

  it('verifies with the same secret and raw body, as string or Buffer', () => {
    const header = signWebhookBody(body, secret);
    expect(verifyWebhookSignature(body, header, secret)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, secret)).toBe(true);
  });

  it('fails with another secret, a changed body, a missing or malformed header', () => {
    const header = signWebhookBody(body, secret);
    expect(verifyWebhookSignature(body, header, 'another-secret-0123456789')).toBe(false);
    expect(verifyWebhookSignature(body.replace('shop', 'shoq'), header, secret)).toBe(false);
    expect(verifyWebhookSignature(body, undefined, secret)).toBe(false);
    expect(verifyWebhookSignature(body, 'sha256=abc', secret)).toBe(false);
    expect(verifyWebhookSignature(body, header.replace('sha256=', 'sha1='), secret)).toBe(false);
    expect(verifyWebhookSignature(body, header, '')).toBe(false);
  });
});
