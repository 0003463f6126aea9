/** A broken ledger invariant: a bug, never an operating condition. The batch must not commit. */
export class LedgerInvariantError extends Error {
  readonly code = 'ledger_invariant_broken';
}

/** The command can never be processed (bad bytes, schema, unknown tenant): dead-letter, never retry. */
export class PermanentCommandError extends Error {
  constructor(
    readonly reason: import('../../../contracts/src').DeadLetterReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}
