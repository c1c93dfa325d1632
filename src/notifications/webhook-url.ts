import { openAtRest, sealAtRest } from './webhook-secret.js';

/**
 * A partner's webhook URL may carry their own credential (`?token=...`, a path segment), so it
 * is kept like a secret: sealed at rest under `ServerKeys.webhookUrlKey`, opened only by the
 * delivery worker for the POST, and never logged, stored or shown whole. What the service shows
 * and logs instead is its origin (`https://partner.example.org:8443`), kept beside it in clear.
 */
const ad = (endpointId: string) => `webhook-url:${endpointId}`;

export function sealWebhookUrl(url: string, endpointId: string, key: Uint8Array): string {
  return sealAtRest(url, ad(endpointId), key);
}

export function openWebhookUrl(sealed: string, endpointId: string, key: Uint8Array): string {
  return openAtRest(sealed, ad(endpointId), key);
}

/** Scheme, host and port only: never the credentials, path, query or fragment. */
export function webhookOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * `text` (an error message of the HTTP client, say) with every piece of `url` that could carry a
 * credential replaced by the origin: before anything about a delivery is stored or logged.
 */
export function withoutUrl(text: string, url: URL): string {
  let out = text;
  for (const part of [url.href, `${url.pathname}${url.search}${url.hash}`, url.search, url.hash, url.username, url.password]) {
    if (part.length > 1) out = out.split(part).join(part === url.href ? webhookOrigin(url) : '…');
  }
  return out;
}
