import { isDatabaseUnavailable, pgErrorCode } from '../../../platform/postgres';
import { StaleBalanceError } from './reconcile-balances';

/**
 * How a failed batch may be retried:
 * - unavailable: the database is out of reach; retry for as long as it takes (the consumer waits).
 * - conflict: the batch raced another transaction; retry a bounded number of times.
 * - permanent: these commands will always cause it; isolate the one that does.
 */
export type FailureKind = 'unavailable' | 'conflict' | 'permanent';

const CONFLICT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: a concurrent duplicate committed first; the retry recognises it
  '23514', // check_violation: a balance moved under the batch (backstop of reconcileBalances)
  '55P03', // lock_not_available
]);

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof StaleBalanceError) return 'conflict';
  // First: a connection error carries a Node code (ECONNREFUSED, ENOENT for a socket gone...) in
  // the same field as a SQLSTATE, and must never count as the commands' fault.
  if (isDatabaseUnavailable(error)) return 'unavailable';
  const code = pgErrorCode(error);
  if (code && CONFLICT_SQLSTATES.has(code)) return 'conflict';
  return 'permanent';
}
