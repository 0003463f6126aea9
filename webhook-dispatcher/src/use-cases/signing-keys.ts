import { createSecretKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { decryptSecret } from '../../../domain/secret-box';
import type { ClaimedAttempt } from '../data-access/attempt-claims';
import { secretKey } from '../domain/signing';

/**
 * The HMAC keys of an endpoint (its secret, and the previous one while it still signs),
 * decrypted and imported as KeyObjects once, and kept while the stored bytes stay the same: decrypting and importing the key
 * on every attempt showed in CPU profiles. A rotation changes the stored bytes, so it is seen at the next
 * attempt. Bounded: past `endpointsMax` endpoints the least recently used are dropped.
 * @throws SecretDecryptionError, or Error when a decrypted secret is not a whsec_ secret
 */
export function createSigningKeys(options: { secretsKey: Buffer; endpointsMax: number }) {
  const cache = new LRUCache<string, { sealed: Buffer[]; keys: KeyObject[] }>({ max: options.endpointsMax });
  return (claimed: ClaimedAttempt): KeyObject[] => {
    const sealed = [claimed.secret_encrypted, claimed.previous_secret_encrypted].filter(
      (s): s is Buffer => s !== null,
    );
    const hit = cache.get(claimed.endpoint_id);
    if (hit && hit.sealed.length === sealed.length && hit.sealed.every((s, i) => s.equals(sealed[i]!)))
      return hit.keys;
    const keys = sealed.map((s) =>
      createSecretKey(secretKey(decryptSecret(options.secretsKey, claimed.endpoint_id, s))),
    );
    cache.set(claimed.endpoint_id, { sealed, keys });
    return keys;
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
