import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '../../../contracts/src';

const KEY_RANDOM_BYTES = 32; // 256 bits
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

export interface NewApiKey {
  key: string;
  hash: Buffer;
  prefix: string;
}

/** A new secret key: 256 random bits behind a recognisable prefix. Only its hash is stored. */
export function generateApiKey(): NewApiKey {
  const key = API_KEY_PREFIX + randomBytes(KEY_RANDOM_BYTES).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, SHOWN_PREFIX_LENGTH) };
}

/** Keys carry 256 bits of entropy, so a plain SHA-256 is enough to store and look them up. */
export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key).digest();

export const looksLikeApiKey = (value: string): boolean =>
  value.startsWith(API_KEY_PREFIX) && value.length > API_KEY_PREFIX.length + 20 && value.length < 200;
