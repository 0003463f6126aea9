import type { Producer } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_REASONS, TransferRecordKind } from '../../contracts/src';
import { LATENCY_BUCKETS_S, WAIT_BUCKETS_S } from '../../platform/metrics/registry';
import type { Outcome } from './domain/types';
import type { ExpiryObserver } from './entry-points/hold-expiry-sweeper';

/** The reason counted for a dead-lettered message without a reason header (a bug if ever seen). */
const UNKNOWN_REASON = 'unknown';

/** The processor's own series (process metrics and consumer lag are registered elsewhere). */
export function createProcessorMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    committed: new Counter({
      name: 'ledger_transfers_committed_total',
      help: 'Transfers committed to the ledger, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'ledger_transfers_rejected_total',
      help: 'Transfers rejected (a final outcome, not an error), by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'ledger_commit_batch_size_commands',
      help: 'Commands decided in one committed database transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'ledger_commit_batch_duration_seconds',
      help: 'Time to decide and commit one batch of commands (the successful try)',
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    acceptToFinal: new Histogram({
      name: 'ledger_transfer_accept_to_final_seconds',
      help: 'From the 202 (the pending row written by the API) to the committed or rejected outcome',
      buckets: WAIT_BUCKETS_S,
      registers,
    }),
    deadLettered: new Counter({
      name: 'ledger_dead_letter_messages_total',
      help: 'Commands sent to the dead-letter topic, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    holdExpiriesPublished: new Counter({
      name: 'ledger_hold_expiry_commands_published_total',
      help: 'transfer.expire commands published by the hold expiry sweeper, by attempt: first, or again (the hold still open HOLD_EXPIRY_AGAIN_AFTER_MS after its expiry was asked for)',
      labelNames: ['attempt'] as const,
      registers,
    }),
  };
  // Alerts read these with increase(): a series born at 1 on the first dead letter would look
  // like no increase at all, so every reason is exposed at 0 from the start (the set is bounded).
  for (const reason of [...DEAD_LETTER_REASONS, UNKNOWN_REASON]) metrics.deadLettered.inc({ reason }, 0);
  for (const attempt of ['first', 'again']) metrics.holdExpiriesPublished.inc({ attempt }, 0);
  // rate() of commits likewise counts a kind's first commit ('hold': a hold reserved).
  for (const kind of [...TransferRecordKind.options, 'hold']) metrics.committed.inc({ kind }, 0);
  return metrics;
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

/** What processCommands reports of each committed batch (see ProcessorDeps.observer). */
export interface BatchObserver {
  /** `started_ms`: performance.now() when the batch began; `size`: commands in the transaction. */
  batchCommitted(outcomes: readonly Outcome[], size: number, started_ms: number): void;
}

/**
 * Counts outcomes and observes the batch: increments and observations only (the hot path). Counts
 * are summed per label set first, so a batch costs one increment per kind and reason, not per command.
 */
export function batchMetrics(metrics: ProcessorMetrics): BatchObserver {
  return {
    batchCommitted(outcomes, size, started_ms) {
      metrics.batchDuration.observe((performance.now() - started_ms) / 1000);
      metrics.batchSize.observe(size);
      const now = Date.now();
      const committed = new Map<string, number>();
      const rejected = new Map<string, { kind: string; reason: string; n: number }>();
      for (const o of outcomes) {
        // A hold is counted as its own kind: it reserved money, it moved none.
        const kind = o.status === 'held' ? 'hold' : o.command.kind;
        if (o.status !== 'rejected') committed.set(kind, (committed.get(kind) ?? 0) + 1);
        else {
          const reason = o.reason ?? 'unknown';
          const key = `${kind}:${reason}`;
          const r = rejected.get(key) ?? { kind, reason, n: 0 };
          r.n++;
          rejected.set(key, r);
        }
        // Only a transfer the API accepted has an accept time (its pending row); a command produced
        // straight to Kafka is accepted by this very batch.
        if (o.write === 'update')
          metrics.acceptToFinal.observe(Math.max(0, now - o.createdAt.getTime()) / 1000);
      }
      for (const [kind, n] of committed) metrics.committed.inc({ kind }, n);
      for (const { kind, reason, n } of rejected.values()) metrics.rejected.inc({ kind, reason }, n);
    },
  };
}

/** Counts the expiry commands the hold expiry sweeper published, first asks and asked again apart. */
export function expiryMetrics(metrics: ProcessorMetrics): ExpiryObserver {
  return {
    published(first, again) {
      if (first > 0) metrics.holdExpiriesPublished.inc({ attempt: 'first' }, first);
      if (again > 0) metrics.holdExpiriesPublished.inc({ attempt: 'again' }, again);
    },
  };
}

/**
 * The producer the consumer dead-letters with, counting what reaches the dead-letter topic by
 * the reason header it carries (counted once the send succeeded).
 */
export function countingDeadLetters(
  producer: Producer,
  deadLetterTopic: string,
  metrics: ProcessorMetrics,
): Producer {
  return {
    ...producer,
    async send(record) {
      const result = await producer.send(record);
      if (record.topic === deadLetterTopic)
        for (const m of record.messages) {
          const reason = m.headers?.[DEAD_LETTER_HEADERS.reason];
          metrics.deadLettered.inc({ reason: typeof reason === 'string' ? reason : UNKNOWN_REASON });
        }
      return result;
    },
  };
}
