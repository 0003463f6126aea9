import { ledgerViolations } from '../../../domain/ledger-invariants';
import type { Pool } from '../../../platform/postgres';
import { sleep as pause } from '../../../platform/retry';
import { REQUEST_TIMEOUT_MS, type Submission } from './load';
import type { UnexpectedExit } from './services';
import type { WebhookSink } from './webhook-sink';

/** Limits a scenario holds the system to, in seconds (the issue's: failover 10 s, dispatcher 15 s, others 30 s). */
export interface Bounds {
  /** From the dependency's return (or the crash, for a process) until the first commit. */
  recovery_s?: number;
  /** From the dependency's return until the first REST submission accepted. */
  first_accept_s?: number;
  /** Longest any REST-accepted transfer waited from its 202 to its outcome. */
  stall_s?: number;
  /**
   * Longest any REST-accepted transfer waited for its outcome counted from the dependency's return
   * (or from its 202, if later): what was accepted during the outage must be decided soon after.
   */
  final_after_return_s?: number;
  /** Longest any outcome waited from its commit to its webhook. */
  webhook_lag_s?: number;
  /** From the dependency's return until the first webhook delivery. */
  delivery_recovery_s?: number;
  /** Slowest REST answer to a request sent from the fault until FAULT_WINDOW_AFTER_MS after the return. */
  answer_during_fault_s?: number;
}

export interface Metrics {
  recovery_s: number | null;
  first_accept_s: number | null;
  stall_s: number | null;
  final_after_return_s: number | null;
  webhook_lag_s: number | null;
  answer_during_fault_s: number | null;
  delivery_recovery_s: number | null;
  restAccepted: number;
  kafkaAccepted: number;
  committed: number;
  rejected: number;
  answers: Record<string, number>;
  unknownToClients: number;
}

export interface AuditInput {
  pool: Pool;
  tenantId: string;
  accountIds: string[];
  /** Transfers made during set-up (the funding deposits), also expected final and delivered. */
  setupTransferIds: string[];
  submissions: Submission[];
  sink: WebhookSink;
  unexpectedExits: UnexpectedExit[];
  faultAt: number;
  restoredAt: number;
  /** REST answers a client may see during this fault besides `accepted` (503, refused...). */
  allowedAnswers: string[];
  bounds: Bounds;
  final_timeout_ms: number;
  webhook_timeout_ms: number;
}

interface TransferRow {
  id: string;
  status: string;
  kind: string;
  created_at: Date;
  finalized_at: Date | null;
  entries: number;
  total: string;
}

/** Answers soon after the return still show the fault (reconnects, leader elections). */
const FAULT_WINDOW_AFTER_MS = 10_000;
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const example = (ids: string[]) => (ids.length ? ` (e.g. ${ids.slice(0, 3).join(', ')})` : '');

/**
 * Everything the issue asks of the system after a fault, checked from outside: every accepted
 * transfer final, none lost, none applied twice, the books balanced, every outcome's webhooks
 * delivered, clients told only 503s or refused connections, no process ended on its own, and
 * the recovery within its bounds. Returns the violations (empty when all holds) and the metrics.
 */
export async function audit(input: AuditInput): Promise<{ violations: string[]; metrics: Metrics }> {
  const violations: string[] = [];
  const { pool, submissions } = input;
  const accepted = submissions.filter((s) => s.transferId);
  const expectedIds = [...new Set([...accepted.map((s) => s.transferId!), ...input.setupTransferIds])];

  // 1. Every accepted transfer reaches a final state (bounded wait), and exists at all (not lost).
  const rows = await waitForFinal(pool, expectedIds, input.final_timeout_ms);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = expectedIds.filter((id) => !byId.has(id));
  const pending = rows.filter((r) => r.status === 'pending').map((r) => r.id);
  if (missing.length)
    violations.push(
      `${missing.length} accepted transfers have no row (lost, or dead-lettered)${example(missing)}`,
    );
  if (pending.length)
    violations.push(
      `${pending.length} accepted transfers still pending ${seconds(input.final_timeout_ms)} s after the load${example(pending)}`,
    );

  // 2. Applied exactly once: two entries summing to zero per commit, none per rejection, one row per key.
  for (const r of rows) {
    if (r.status === 'committed' && (r.entries !== 2 || r.total !== '0'))
      violations.push(`transfer ${r.id} committed with ${r.entries} entries summing to ${r.total}`);
    if (r.status === 'rejected' && r.entries !== 0)
      violations.push(`transfer ${r.id} rejected but has ${r.entries} entries`);
  }
  const duplicates = await pool.query<{ idempotency_key: string; n: string }>(
    `SELECT idempotency_key, count(*)::text AS n FROM transfers WHERE tenant_id = $1
      GROUP BY idempotency_key HAVING count(*) > 1 LIMIT 10`,
    [input.tenantId],
  );
  for (const d of duplicates.rows)
    violations.push(`idempotency key ${d.idempotency_key} applied ${d.n} times`);
  const unknown = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM transfers WHERE tenant_id = $1 AND NOT (id = ANY($2::uuid[]))',
    [input.tenantId, expectedIds],
  );

  // 3. The books: balances equal their entries, every currency sums to zero.
  for (const v of await ledgerViolations(pool, input.accountIds)) violations.push(`books: ${v}`);

  // 4. Every outcome's events reach the webhook receiver at least once.
  const finals = rows.filter((r) => r.status !== 'pending');
  const expectedEvents = finals.flatMap((r) =>
    r.status === 'rejected'
      ? [`transfer.rejected ${r.id}`]
      : [
          `transfer.committed ${r.id}`,
          `account.credited ${r.id}`,
          ...(r.kind === 'transfer' ? [`account.debited ${r.id}`] : []),
        ],
  );
  const undelivered = await waitForDeliveries(input.sink, expectedEvents, input.webhook_timeout_ms);
  if (undelivered.length)
    violations.push(
      `${undelivered.length} of ${expectedEvents.length} webhook events not delivered ${seconds(input.webhook_timeout_ms)} s after the outcomes${example(undelivered)}`,
    );

  // 5. What clients saw: only the answers allowed for this fault, and every submission accepted in the end.
  const answers: Record<string, number> = {};
  for (const s of submissions)
    for (const a of s.answers) answers[`${s.via} ${a.answer}`] = (answers[`${s.via} ${a.answer}`] ?? 0) + 1;
  const allowed = new Set(['accepted', ...input.allowedAnswers]);
  for (const [answer, count] of Object.entries(answers)) {
    const [via, what] = [answer.slice(0, answer.indexOf(' ')), answer.slice(answer.indexOf(' ') + 1)];
    if (via !== 'rest' || allowed.has(what)) continue;
    const first = submissions
      .filter((s) => s.via === 'rest')
      .flatMap((s) => s.answers)
      .find((a) => a.answer === what);
    violations.push(
      `REST clients got ${what === 'timeout' ? `no answer within ${REQUEST_TIMEOUT_MS / 1_000} s` : what} ×${count}` +
        (first?.body ? ` (e.g. ${first.body})` : ''),
    );
  }
  const neverAccepted = submissions.filter((s) => !s.transferId);
  for (const via of ['rest', 'kafka'] as const) {
    const n = neverAccepted.filter((s) => s.via === via).length;
    if (n)
      violations.push(
        `${n} ${via === 'rest' ? 'REST submissions' : 'Kafka commands'} never accepted, though retried until the end`,
      );
  }

  // 6. No process ended on its own.
  const byService = new Map<string, UnexpectedExit[]>();
  for (const e of input.unexpectedExits) byService.set(e.service, [...(byService.get(e.service) ?? []), e]);
  for (const [service, exits] of byService) {
    const said = [...new Set(exits.map((e) => e.lastWords))].slice(0, 3).join('; then: ');
    violations.push(
      `${service} exited on its own ${exits.length}× (first ${seconds(exits[0]!.at - input.faultAt)} s after ` +
        `the fault, code ${exits[0]!.code ?? exits[0]!.signal}: ${said})`,
    );
  }

  // 7. Recovery, measured, and held to the bounds.
  const restAccepted = accepted.filter((s) => s.via === 'rest');
  const firstCommit = await pool.query<{ at: Date | null }>(
    'SELECT min(finalized_at) AS at FROM transfers WHERE tenant_id = $1 AND finalized_at >= $2',
    [input.tenantId, new Date(input.restoredAt)],
  );
  const restIds = new Set(restAccepted.map((s) => s.transferId));
  const restFinals = finals.filter((r) => restIds.has(r.id) && r.finalized_at);
  const stalls = restFinals.map((r) => r.finalized_at!.getTime() - r.created_at.getTime());
  const afterReturnWaits = restFinals.map(
    (r) => r.finalized_at!.getTime() - Math.max(r.created_at.getTime(), input.restoredAt),
  );
  const outcomeAt = new Map(finals.map((r) => [r.id, r.finalized_at?.getTime() ?? 0]));
  const firstDelivery = new Map<string, number>();
  for (const d of input.sink.delivered)
    if (d.type.startsWith('transfer.') && !firstDelivery.has(d.transferId))
      firstDelivery.set(d.transferId, d.at);
  const lags = [...firstDelivery]
    .filter(([id]) => outcomeAt.has(id))
    .map(([id, at]) => at - outcomeAt.get(id)!);
  const afterReturn = (times: number[]) => {
    const later = times.filter((t) => t >= input.restoredAt);
    return later.length ? seconds(Math.min(...later) - input.restoredAt) : null;
  };
  const duringFault = submissions
    .filter((s) => s.via === 'rest')
    .flatMap((s) => s.answers)
    .filter((a) => a.at >= input.faultAt && a.at <= input.restoredAt + FAULT_WINDOW_AFTER_MS)
    .map((a) => a.ms);
  const metrics: Metrics = {
    recovery_s: firstCommit.rows[0]?.at ? seconds(firstCommit.rows[0].at.getTime() - input.restoredAt) : null,
    first_accept_s: afterReturn(restAccepted.map((s) => s.acceptedAt!)),
    stall_s: stalls.length ? seconds(Math.max(...stalls)) : null,
    final_after_return_s: afterReturnWaits.length ? seconds(Math.max(...afterReturnWaits)) : null,
    webhook_lag_s: lags.length ? seconds(Math.max(...lags)) : null,
    answer_during_fault_s: duringFault.length ? seconds(Math.max(...duringFault)) : null,
    delivery_recovery_s: afterReturn(input.sink.delivered.map((d) => d.at)),
    restAccepted: restAccepted.length,
    kafkaAccepted: accepted.length - restAccepted.length,
    committed: rows.filter((r) => r.status === 'committed').length,
    rejected: rows.filter((r) => r.status === 'rejected').length,
    answers,
    unknownToClients: unknown.rows[0]?.n ?? 0,
  };
  for (const [name, bound] of Object.entries(input.bounds) as Array<[keyof Bounds, number]>) {
    const value = metrics[name];
    if (value === null) violations.push(`${name}: not measurable (nothing happened after the fault)`);
    else if (value > bound) violations.push(`${name} ${value} s exceeds the ${bound} s bound`);
  }
  return { violations, metrics };
}

async function readTransfers(pool: Pool, ids: string[]): Promise<TransferRow[]> {
  const { rows } = await pool.query<TransferRow>(
    `SELECT t.id, t.status, t.kind, t.created_at, t.finalized_at, count(e.id)::int AS entries,
            coalesce(sum(e.amount), 0)::text AS total
       FROM transfers t LEFT JOIN entries e ON e.transfer_id = t.id
      WHERE t.id = ANY($1::uuid[]) GROUP BY t.id`,
    [ids],
  );
  return rows;
}

/** The transfers' rows once all exist and none is pending, or as they are at the deadline. */
async function waitForFinal(pool: Pool, ids: string[], timeout_ms: number): Promise<TransferRow[]> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const rows = await readTransfers(pool, ids).catch(() => undefined);
    const done = rows && rows.length === ids.length && rows.every((r) => r.status !== 'pending');
    if (done || Date.now() > deadline) return rows ?? readTransfers(pool, ids);
    await pause(250);
  }
}

/** The expected "type transferId" events not yet delivered, waiting until none is or the deadline passes. */
async function waitForDeliveries(
  sink: WebhookSink,
  expected: string[],
  timeout_ms: number,
): Promise<string[]> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const got = new Set(sink.delivered.map((d) => `${d.type} ${d.transferId}`));
    const missing = expected.filter((e) => !got.has(e));
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await pause(250);
  }
}
