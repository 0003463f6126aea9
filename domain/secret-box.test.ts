import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SecretDecryptionError, decryptSecret, encryptSecret, generateSecret } from './secret-box';

const KEY = Buffer.from('dev-only-webhook-secrets-key-32b');
const ENDPOINT = '0190f2a4-7c1e-7b9a-8d3e-1f2a3b4c5d6e';

describe('webhook secrets at rest', () => {
  it('opens a secret sealed in the stored format (known vector: rows written before stay readable)', () => {
    const sealed = Buffer.from(
      'AQcHBwcHBwcHBwcHByKgCyBu7WMaWCBTnE1k3ulwNUe/se6ZR8ycMFL0uYfre+PkmFa7EOIaP5CB6BFKZllhupKdcA==',
      'base64',
    );
    expect(decryptSecret(KEY, ENDPOINT, sealed)).toBe('whsec_MfKQ9r8GKYqrTN8bRXhA4ZZJpaCQnS+Q');
  });

  it('opens what it sealed, for any non-empty secret and endpoint id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.uuid(), (secret, endpointId) => {
        expect(decryptSecret(KEY, endpointId, encryptSecret(KEY, endpointId, secret))).toBe(secret);
      }),
    );
  });

  it('refuses another endpoint id, another key, a tampered byte or a truncated row', () => {
    const sealed = encryptSecret(KEY, ENDPOINT, generateSecret());
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptSecret(KEY, randomUUID(), sealed)).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(Buffer.alloc(32, 1), ENDPOINT, sealed)).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(KEY, ENDPOINT, tampered)).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(KEY, ENDPOINT, sealed.subarray(0, 29))).toThrow(SecretDecryptionError);
  });

  it('generates whsec_ secrets of 32 random bytes, never twice the same', () => {
    const a = generateSecret();
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });
});
