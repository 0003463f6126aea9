import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger';
import { backoffDelay, DATABASE_OUTAGE, sleep as realSleep, WRITE_CONFLICT } from '../../../platform/retry';
import { LedgerInvariantError, PermanentCommandError } from '../domain/errors';
import { classifyFailure } from '../domain/transient-error';
import type { Command } from '../domain/types';
import type { BatchReport } from '../use-cases/process-commands';

export interface RetryOptions {
  /** Commits the commands in one transaction (processCommands). */
  process: (commands: Command[]) => Promise<BatchReport>;
  /** Longest pause between retries while the database is unreachable. */
  retryBackoffMax_ms: number;
  /** False once the partition is no longer this consumer's: retrying stops, the error is thrown. */
  stillOwned: () => boolean;
  heartbeat: () => Promise<void>;
  /**
   * Whether the database answers right now. Asked before a failure is blamed on the commands: an
   * error of a shape nobody foresaw, met while the database is down, is an outage, never a reason
   * to dead-letter a command.
   */
  databaseAnswers: () => Promise<boolean>;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Retries of a single command that raced another transaction. Its partition waits meanwhile, so
 * the backoff stays short (legitimate races, a concurrent duplicate or a deadlock, resolve at the
 * first retry): 0.7 s in all at most.
 */
export const CONFLICT_RETRIES_MAX = 6;
/** A batch still conflicting after this many retries is bisected rather than retried whole. */
const CONFLICT_RETRIES_BEFORE_SPLIT = 1;
const HEARTBEAT_STEP_MS = 500;

/**
 * Processes a batch, retrying it while the database is unreachable (for as long as the partition
 * is ours) and, briefly, when it raced another transaction. A batch failing for any other reason,
 * or still conflicting, is bisected: each half is tried on its own, in partition order, so the
 * good commands commit at once and only the command that causes the failure is dead-lettered
 * (processing_failed), after about 2·log2(size) attempts rather than one transaction per command.
 * @throws the last error when the consumer is stopping or the partition is no longer ours
 */
export async function processWithRetry(commands: Command[], o: RetryOptions): Promise<BatchReport> {
  const sleep = o.sleep ?? realSleep;
  const outage = { ...DATABASE_OUTAGE, max_ms: o.retryBackoffMax_ms };
  const conflictRetriesMax = commands.length === 1 ? CONFLICT_RETRIES_MAX : CONFLICT_RETRIES_BEFORE_SPLIT;
  for (let attempt = 0; ; attempt++) {
    try {
      return await o.process(commands);
    } catch (error) {
      let kind = classifyFailure(error);
      if (kind === 'permanent' && !(await o.databaseAnswers())) kind = 'unavailable';
      // Stopping (or the partition moved): nothing is dead-lettered or retried, the batch is left
      // uncommitted for whoever consumes the partition next. A stop closes the pool under a
      // running batch, and that error says nothing about the commands.
      if (!o.stillOwned()) throw error;
      if (kind === 'unavailable' || (kind === 'conflict' && attempt < conflictRetriesMax)) {
        const wait = backoffDelay(attempt, kind === 'conflict' ? WRITE_CONFLICT : outage);
        o.log.warn({ err: error, kind, attempt, wait_ms: wait }, 'batch failed; retrying it');
        // Heartbeats go on while the batch waits, or a database outage longer than the session
        // would also make the group give this member's partitions away.
        for (let waited = 0; waited < wait; waited += HEARTBEAT_STEP_MS) {
          await sleep(Math.min(HEARTBEAT_STEP_MS, wait - waited));
          await o.heartbeat();
        }
        continue;
      }
      if (commands.length === 1) return failed(commands[0]!, error, o.log);
      o.log.warn({ err: error, size: commands.length }, 'batch failed; bisecting it to isolate the command');
      const middle = Math.ceil(commands.length / 2);
      const first = await processWithRetry(commands.slice(0, middle), o);
      const second = await processWithRetry(commands.slice(middle), o);
      return {
        committed: first.committed + second.committed,
        rejected: first.rejected + second.rejected,
        duplicates: first.duplicates + second.duplicates,
        deadLetters: [...first.deadLetters, ...second.deadLetters],
      };
    }
  }
}

/**
 * A command that fails on its own is dead-lettered processing_failed. The raw error may quote
 * PostgreSQL (constraint names, other rows' keys, possibly another tenant's): it goes to the log
 * only, under a reference that the dead letter carries instead.
 */
function failed(command: Command, error: unknown, log: Logger): BatchReport {
  const reference = randomUUID();
  log.error(
    { err: error, reference, transfer_id: command.transferId, bug: error instanceof LedgerInvariantError },
    'command cannot be processed; dead-lettering',
  );
  return {
    committed: 0,
    rejected: 0,
    duplicates: 0,
    deadLetters: [
      {
        command,
        error: new PermanentCommandError(
          'processing_failed',
          `the ledger could not process this command; operators can look up reference ${reference} in the processor log`,
        ),
      },
    ],
  };
}
