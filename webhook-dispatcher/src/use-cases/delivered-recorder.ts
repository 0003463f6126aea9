import type { Pool } from '../../../platform/postgres';
import { recordDelivered, type ClaimedAttempt } from '../data-access/attempts';
import type { SendResult } from '../domain/attempt-outcome';

type Response = Extract<SendResult, { kind: 'response' }>;

interface Waiting {
  claimed: ClaimedAttempt;
  result: Response;
  resolve: (recorded: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for successful attempts, the common case: while one batch is being written the
 * next accumulates, so under load one statement (one commit) records many deliveries, and when
 * idle a delivery is written at once. At most one write is in flight. The queue is bounded by the
 * caller: each delivery in flight (WEBHOOK_CONCURRENCY_MAX) waits here at most once.
 */
export function createDeliveredRecorder(options: { pool: Pool; batchSizeMax: number }) {
  const waiting: Waiting[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, options.batchSizeMax);
        try {
          const recorded = await recordDelivered(options.pool, batch);
          for (const w of batch) w.resolve(recorded.has(w.claimed.attempt_id));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  }

  return {
    /**
     * Records a 2xx attempt with its message delivered. Resolves false when the lease was lost
     * (nothing written for it); rejects when the database write failed (the attempt is then sent
     * again once its lease runs out: at least once).
     */
    record(claimed: ClaimedAttempt, result: Response): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ claimed, result, resolve, reject });
        if (!writing) void drain();
      });
    },
  };
}

export type DeliveredRecorder = ReturnType<typeof createDeliveredRecorder>;
