import { createNaturalBatcher } from '../../../platform/natural-batcher';
import type { Pool } from '../../../platform/postgres';
import { recordDelivered } from '../data-access/attempt-outcomes';
import type { ClaimedAttempt } from '../data-access/attempt-claims';
import type { SendResult } from '../domain/attempt-outcome';

type Response = Extract<SendResult, { kind: 'response' }>;

/**
 * Group commit for successful attempts, the common case: while one batch is being written the
 * next accumulates, so under load one statement (one commit) records many deliveries, and when
 * idle a delivery is written at once (no linger). At most one write is in flight. The queue is
 * bounded by the caller: each delivery in flight (WEBHOOK_CONCURRENCY_MAX) waits here at most once.
 */
export function createDeliveredRecorder(options: { pool: Pool; batchSizeMax: number }) {
  const batcher = createNaturalBatcher<{ claimed: ClaimedAttempt; result: Response }, boolean>(
    async (batch) => {
      const recorded = await recordDelivered(options.pool, batch);
      return batch.map((w) => recorded.has(w.claimed.attempt_id));
    },
    { batchSizeMax: options.batchSizeMax, linger_ms: 0 },
  );

  return {
    /**
     * Records a 2xx attempt with its message delivered. Resolves false when the lease was lost
     * (nothing written for it); rejects when the database write failed (the attempt is then sent
     * again once its lease runs out: at least once).
     */
    record(claimed: ClaimedAttempt, result: Response): Promise<boolean> {
      return batcher.submit({ claimed, result });
    },
  };
}

export type DeliveredRecorder = ReturnType<typeof createDeliveredRecorder>;
