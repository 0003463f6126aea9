import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Webhook endpoint signing secrets at rest. The API generates and seals them (the tenant sees a
 * secret once), the webhook dispatcher opens them to sign; both share this one format:
 * AES-256-GCM under WEBHOOK_SECRETS_KEY with the endpoint id as associated data (a ciphertext
 * copied to another row does not decrypt), laid out as
 * version (1 byte, 0x01) || IV (12) || tag (16) || ciphertext.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Random bytes of a new secret (Standard Webhooks allows 24 to 64). */
export const SECRET_BYTES = 32;

/** The key, the endpoint id or the stored bytes do not match: an operating error, not a bug. */
export class SecretDecryptionError extends Error {
  constructor(readonly endpointId: string) {
    super(`the secret of webhook endpoint ${endpointId} cannot be decrypted (wrong WEBHOOK_SECRETS_KEY?)`);
  }
}

/** `whsec_` + base64 of SECRET_BYTES random bytes. */
export const generateSecret = (): string => `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;

/** Seals a secret for the endpoint's row. The key is 32 bytes (asserted: config guarantees it). */
export function encryptSecret(key: Buffer, endpointId: string, secret: string): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`assertion: a secrets key is ${KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/** @throws SecretDecryptionError when the key, the endpoint id or the bytes do not match */
export function decryptSecret(key: Buffer, endpointId: string, sealed: Buffer): string {
  try {
    if (sealed[0] !== VERSION || sealed.length <= 1 + IV_BYTES + TAG_BYTES) throw new Error('bad layout');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(endpointId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SecretDecryptionError(endpointId);
  }
}
