import { createNaturalBatcher } from '../../../platform/natural-batcher';
import type { Pool } from '../../../platform/postgres';
import { insertPendingTransfers, type InsertResult, type NewTransfer } from './transfers';

/**
 * Writes accepted transfers' pending rows with natural batching: concurrent submissions share one
 * multi-row insert and one durable commit, instead of each waiting for its own WAL flush (the
 * bound measured on the API). A caller's promise settles once its row is committed.
 */
export function createPendingWriter(pool: Pool, options: { batchSizeMax: number }) {
  const batcher = createNaturalBatcher<NewTransfer, InsertResult>(
    (items) => insertPendingTransfers(pool, items),
    {
      batchSizeMax: options.batchSizeMax,
      linger_ms: 0,
    },
  );
  return { insert: (transfer: NewTransfer) => batcher.submit(transfer), drain: () => batcher.drain() };
}

export type PendingWriter = ReturnType<typeof createPendingWriter>;
