import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../../../platform/logger';
import type { Pool } from '../../../../platform/postgres';
import type { Redis } from '../../../../platform/redis';
import { ApiError } from './api-error';
import { findApiKeyByHash, touchApiKey } from '../../data-access/api-keys';
import { hashApiKey, looksLikeApiKey } from '../../domain/api-key';

export const REVOCATION_CHANNEL = 'ledger:api-key-revoked';

interface CachedKey {
  keyId: string;
  tenantId: string;
  revoked: boolean;
  expiresAt: number;
  lastTouchedAt: number;
}

export interface ApiKeyAuthOptions {
  pool: Pool;
  /** Redis used for revocation broadcasts between API processes; a subscriber connection. */
  subscriber: Redis;
  logger: Logger;
  cacheTtl_ms: number;
  cacheEntriesMax: number;
  /** last_used_at is written at most this often per key. */
  touchInterval_ms: number;
}

/**
 * Bearer API-key authentication. Lookups are cached briefly so a submission costs no query;
 * a revocation evicts the key at once in every API process (Redis pub/sub), and the short TTL
 * bounds staleness should a broadcast be missed.
 */
export function createApiKeyAuth(options: ApiKeyAuthOptions) {
  // Bounded LRU: past the bound the least recently used keys go, not every key at once.
  const cache = new LRUCache<string, CachedKey>({ max: options.cacheEntriesMax });
  // Bumped by every revocation heard: a lookup that started before one must not be cached,
  // or a key revoked while its lookup was in flight would live on for a TTL.
  let revocations = 0;
  void options.subscriber.subscribe(REVOCATION_CHANNEL).catch((error: unknown) => {
    options.logger.warn({ err: error }, 'cannot subscribe to key revocations; relying on the cache TTL');
  });
  options.subscriber.on('message', (channel: string, hashHex: string) => {
    if (channel === REVOCATION_CHANNEL) {
      revocations++;
      cache.delete(hashHex);
    }
  });

  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) throw new ApiError('api_key_missing', 'send your API key as Authorization: Bearer <key>');
    const match = /^Bearer (\S+)$/i.exec(header);
    if (!match || !looksLikeApiKey(match[1]!))
      throw new ApiError('api_key_invalid', 'the Authorization header does not carry a valid API key');
    const hash = hashApiKey(match[1]!);
    const hashHex = hash.toString('hex');
    const now = Date.now();
    let entry = cache.get(hashHex);
    if (!entry || entry.expiresAt < now) {
      const epoch = revocations;
      const row = await findApiKeyByHash(options.pool, hash);
      if (!row) throw new ApiError('api_key_invalid', 'the API key is not valid');
      entry = {
        keyId: row.id,
        tenantId: row.tenant_id,
        revoked: row.revoked_at !== null,
        expiresAt: now + options.cacheTtl_ms,
        lastTouchedAt: entry?.lastTouchedAt ?? 0,
      };
      if (epoch === revocations) cache.set(hashHex, entry);
    }
    if (entry.revoked) throw new ApiError('api_key_revoked', 'the API key has been revoked');
    if (now - entry.lastTouchedAt > options.touchInterval_ms) {
      entry.lastTouchedAt = now;
      touchApiKey(options.pool, entry.keyId).catch((error: unknown) =>
        req.log.warn({ err: error }, 'could not record API key use'),
      );
    }
    res.locals.tenantId = entry.tenantId;
    res.locals.apiKeyId = entry.keyId;
    next();
  };

  return {
    authenticate,
    /** Evicts locally at once; other processes hear it through Redis. */
    async revoked(publisher: Redis, hash: Buffer): Promise<void> {
      revocations++;
      cache.delete(hash.toString('hex'));
      await publisher.publish(REVOCATION_CHANNEL, hash.toString('hex')).catch((error: unknown) => {
        options.logger.warn(
          { err: error },
          'could not broadcast a revocation; other processes see it within the TTL',
        );
      });
    },
  };
}

export type ApiKeyAuth = ReturnType<typeof createApiKeyAuth>;
