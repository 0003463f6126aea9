import { createLogger } from '../../../platform/logger';
import type { Command } from '../domain/types';
import type { BatchReport } from '../use-cases/process-commands';
import { processWithRetry, type RetryOptions } from './process-with-retry';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });

const commands = (n: number): Command[] =>
  Array.from({ length: n }, (_, i) => ({
    transferId: `t${i}`,
    tenantId: 'tenant',
    idempotencyKey: `k${i}`,
    requestHash: Buffer.from(`k${i}`),
    kind: 'transfer',
    sourceAccountId: 'a',
    destinationAccountId: 'b',
    amount: 1n,
    currency: 'USD',
    description: null,
    metadata: null,
    holdId: null,
    requestedAmount: null,
  }));

/** An error as node-postgres raises it: the SQLSTATE in `code`, PostgreSQL's text in the message. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

/** A fake ledger: records each attempted batch and each committed command, in order. */
function ledger(fail: (batch: Command[], attempt: number) => Error | undefined) {
  const attempts: Command[][] = [];
  const committed: Command[] = [];
  const slept: number[] = [];
  let databaseUp = true;
  const options: RetryOptions = {
    process: async (batch) => {
      attempts.push(batch);
      const error = fail(batch, attempts.length);
      if (error) throw error;
      committed.push(...batch);
      return { committed: batch.length, rejected: 0, duplicates: 0, deadLetters: [] } satisfies BatchReport;
    },
    retryBackoffMax_ms: 5_000,
    stillOwned: () => true,
    heartbeat: async () => {},
    databaseAnswers: async () => databaseUp,
    log,
    sleep: async (ms) => void slept.push(ms),
  };
  return {
    attempts,
    committed,
    slept,
    options,
    setDatabaseUp: (up: boolean) => {
      databaseUp = up;
    },
  };
}

describe('retrying and bisecting a failed batch', () => {
  it('bisects a batch that one command fails: the others commit in order, after about 2·log2(n) attempts', async () => {
    const all = commands(1_000);
    const poison = all[617]!;
    const l = ledger((batch) =>
      batch.includes(poison)
        ? pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')
        : undefined,
    );
    const report = await processWithRetry(all, l.options);

    expect(report.committed).toBe(999);
    expect(l.committed).toEqual(all.filter((c) => c !== poison));
    expect(l.attempts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(all.length)) + 1);
    expect(report.deadLetters.map((d) => [d.command, d.error.reason])).toEqual([
      [poison, 'processing_failed'],
    ]);
  });

  it('never puts the raw database error in the dead letter, only a reference to the log', async () => {
    const [only] = commands(1);
    const l = ledger(() =>
      pgError('23502', 'null value in column "x" of relation "transfers" violates not-null constraint'),
    );
    const report = await processWithRetry([only!], l.options);
    const detail = report.deadLetters[0]!.error.detail;
    expect(detail).not.toMatch(/transfers|constraint|null value/);
    expect(detail).toMatch(/reference [0-9a-f-]{36}/);
  });

  it('retries a batch that raced a concurrent duplicate once, whole, and the retry recognises it', async () => {
    const all = commands(50);
    const l = ledger((_, attempt) =>
      attempt === 1 ? pgError('23505', 'duplicate key value violates unique constraint') : undefined,
    );
    const report = await processWithRetry(all, l.options);
    expect(report.committed).toBe(50);
    expect(l.attempts.map((a) => a.length)).toEqual([50, 50]);
    expect(report.deadLetters).toEqual([]);
  });

  it('holds the others up for under a second of backoff when one command keeps conflicting', async () => {
    const all = commands(200);
    const poison = all[3]!;
    const l = ledger((batch) => (batch.includes(poison) ? pgError('40P01', 'deadlock detected') : undefined));
    const report = await processWithRetry(all, l.options);
    expect(report.committed).toBe(199);
    expect(report.deadLetters.map((d) => d.command)).toEqual([poison]);
    expect(l.slept.reduce((a, b) => a + b, 0)).toBeLessThan(1_000);
  });

  it('gives a failing batch back, dead-lettering nothing, once the consumer is stopping', async () => {
    const all = commands(10);
    const l = ledger(() => new Error('Cannot use a pool after calling end on the pool'));
    let owned = true;
    l.options.stillOwned = () => owned;
    const process = l.options.process;
    l.options.process = async (batch) => {
      owned = false; // the stop lands while the batch runs
      return process(batch);
    };
    await expect(processWithRetry(all, l.options)).rejects.toThrow('Cannot use a pool');
    expect(l.attempts).toHaveLength(1);
  });

  it('keeps retrying the whole batch while the database is unreachable', async () => {
    const all = commands(10);
    const l = ledger((_, attempt) =>
      attempt <= 5 ? pgError('57P03', 'the database system is starting up') : undefined,
    );
    const report = await processWithRetry(all, l.options);
    expect(report.committed).toBe(10);
    expect(l.attempts.every((a) => a.length === 10)).toBe(true);
  });

  it('never dead-letters while the database is down: a connection error with a Node code is an outage', async () => {
    const all = commands(8);
    let outage = 3;
    // The socket of a stopped local PostgreSQL is gone: node-postgres fails with ENOENT in `code`.
    const l = ledger(() =>
      outage-- > 0 ? pgError('ENOENT', 'connect ENOENT /tmp/.s.PGSQL.5432') : undefined,
    );
    const report = await processWithRetry(all, l.options);
    expect(report.deadLetters).toEqual([]);
    expect(l.committed).toEqual(all);
    expect(l.attempts.every((batch) => batch.length === all.length)).toBe(true);
  });

  it('treats an unforeseen error as an outage while the database does not answer', async () => {
    const all = commands(4);
    const l = ledger((_batch, attempt) => (attempt <= 2 ? new Error('something nobody foresaw') : undefined));
    l.setDatabaseUp(false);
    const pending = processWithRetry(all, l.options);
    await new Promise((resolve) => setImmediate(resolve));
    l.setDatabaseUp(true);
    const report = await pending;
    expect(report.deadLetters).toEqual([]);
    expect(l.committed).toEqual(all);
  });
});
