import { ChannelDeliveryError } from '../notify.errors';

/** Used when a channel is called without a signal from the Notifier. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/**
 * POSTs a JSON body with Node's global fetch. Resolves on 2xx; otherwise rejects with a
 * ChannelDeliveryError that names only the URL's origin (webhook paths carry tokens) and says
 * whether a retry can help (network error, timeout, 408, 429, 5xx).
 */
export async function postJson(
  channel: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal = AbortSignal.timeout(DEFAULT_HTTP_TIMEOUT_MS),
): Promise<void> {
  const where = originOf(url);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const reason = signal.aborted ? signal.reason : err;
    if (reason?.name === 'TimeoutError' || reason?.name === 'AbortError') {
      throw new ChannelDeliveryError(channel, `no answer from ${where} before the timeout`, true);
    }
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
    throw new ChannelDeliveryError(channel, `could not reach ${where} (${cause})`, true);
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const detail = (await response.text().catch(() => '')).trim().slice(0, 200);
  const status = response.status;
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new ChannelDeliveryError(
    channel,
    `${where} answered HTTP ${status}${detail ? ` (${detail})` : ''}`,
    retryable,
    retryable ? undefined : 'Check the webhook URL; the receiver refused the request, so retrying will not help.',
  );
}

/** "https://hooks.slack.com" for a full webhook URL: the path of a webhook URL is its secret. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured URL';
  }
}
