import { createHmac, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 with the secret's
 * bytes over "msgId.timestamp.body", base64, as `v1,<signature>`; several signatures (one per
 * secret still valid) are separated by spaces.
 */

const SECRET_PREFIX = 'whsec_';

/** The key bytes of a `whsec_<base64>` secret. @throws Error when it is not one */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length < 24 || key.length > 64) throw new Error('a webhook secret holds 24 to 64 bytes');
  return key;
}

/**
 * An HMAC key: the secret's bytes, or a KeyObject made from them (createSecretKey), which signs
 * several times faster because the key is not imported again on every call.
 */
export type SigningKey = Buffer | KeyObject;

/** One `v1,<base64>` signature. */
export function sign(key: SigningKey, msgId: string, timestamp_s: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${msgId}.${timestamp_s}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header value: one signature per key, newest first. */
export function signatureHeader(
  keys: readonly SigningKey[],
  msgId: string,
  timestamp_s: number,
  body: string,
): string {
  if (keys.length === 0) throw new Error('at least one key signs a webhook');
  return keys.map((key) => sign(key, msgId, timestamp_s, body)).join(' ');
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(
  keys: readonly SigningKey[],
  msgId: string,
  timestamp_s: number,
  body: string,
): SignedHeaders {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp_s),
    'webhook-signature': signatureHeader(keys, msgId, timestamp_s, body),
  };
}
