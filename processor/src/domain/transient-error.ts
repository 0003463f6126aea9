import { pgErrorCode } from '../../../platform/postgres';

const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: a concurrent duplicate committed first; the retry recognises it
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * Whether retrying the same work later may succeed (lost connection, deadlock, a racing
 * duplicate), as opposed to an error that this input will always cause.
 */
export function isTransient(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code) return TRANSIENT_SQLSTATES.has(code) || code.startsWith('08');
  if (error instanceof Error) {
    const nodeCode = (error as NodeJS.ErrnoException).code;
    if (nodeCode && TRANSIENT_NODE_CODES.has(nodeCode)) return true;
    return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      error.message,
    );
  }
  return false;
}
