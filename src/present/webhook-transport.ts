/**
 * Alerts to a webhook: each message (one EVE-style alert object) is an HTTP POST with a JSON body, through
 * Node's built-in fetch. A 2xx answer is delivery; 408, 429 and 5xx are worth a retry, other answers are not.
 */
import { PermanentDeliveryError, type Transport } from './delivery-queue.js';

/** One attempt waits this long for an answer at most; then it counts as failed and is retried. */
export const WEBHOOK_TIMEOUT_MS = 5000;

export function webhookTransport(url: URL, timeoutMs = WEBHOOK_TIMEOUT_MS): Transport {
  const target = url.href;
  return {
    target,
    async send(message, signal) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'nta' },
        body: message,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      // The body is not needed; reading it frees the connection for the next alert.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      const reason = `HTTP ${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`}`;
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(reason);
      throw new PermanentDeliveryError(reason);
    },
    close() {},
  };
}
