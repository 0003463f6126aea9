import { pgErrorCode } from '../../../platform/postgres';
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

const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof StaleBalanceError) return 'conflict';
  const code = pgErrorCode(error);
  if (code) {
    if (CONFLICT_SQLSTATES.has(code)) return 'conflict';
    if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return 'unavailable';
    return 'permanent';
  }
  if (error instanceof Error) {
    const nodeCode = (error as NodeJS.ErrnoException).code;
    if (nodeCode && UNAVAILABLE_NODE_CODES.has(nodeCode)) return 'unavailable';
    // node-postgres reports a dropped or refused connection with plain Errors; their messages are all it gives.
    if (/Connection terminated|timeout exceeded when trying to connect|connection error/i.test(error.message))
      return 'unavailable';
  }
  return 'permanent';
}
