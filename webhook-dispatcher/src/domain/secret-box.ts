import { createDecipheriv } from 'node:crypto';

/**
 * Reads endpoint secrets stored encrypted at rest: AES-256-GCM, the endpoint id as associated
 * data (a ciphertext copied to another row does not decrypt), laid out as
 * version (1 byte, 0x01) || IV (12) || tag (16) || ciphertext.
 * The API writes them (api/src/webhooks/secret-box.ts); tests/webhooks checks both agree.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(readonly endpointId: string) {
    super(`the secret of webhook endpoint ${endpointId} cannot be decrypted (wrong WEBHOOK_SECRETS_KEY?)`);
  }
}

/** @throws SecretDecryptionError when the key, the endpoint id or the bytes do not match */
export function decryptSecret(key: Buffer, endpointId: string, sealed: Buffer): string {
  try {
    if (sealed[0] !== VERSION || sealed.length <= 1 + IV_BYTES + TAG_BYTES) throw new Error('bad layout');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
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
