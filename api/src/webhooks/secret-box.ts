import { createCipheriv, randomBytes } from 'node:crypto';

/**
 * Endpoint signing secrets: generated here, shown to the tenant once, stored only encrypted with
 * AES-256-GCM under WEBHOOK_SECRETS_KEY, the endpoint id as associated data. Layout:
 * version (1 byte, 0x01) || IV (12) || tag (16) || ciphertext. The webhook dispatcher decrypts
 * (webhook-dispatcher/src/domain/secret-box.ts); tests/webhooks checks both agree.
 */
const VERSION = 1;
const IV_BYTES = 12;
export const SECRET_BYTES = 32;

/** `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64). */
export const generateSecret = (): string => `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;

export function encryptSecret(key: Buffer, endpointId: string, secret: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}
