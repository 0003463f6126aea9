import type { LedgerEventV1 } from '../../../contracts/src';
import { newId } from '../../../platform/ids';
import { toTransferView, type TransferRecord } from '../../../domain/transfer-view';
import { asSeenBy } from '../../../domain/split-visibility';
import { UNTRACED, type AccountState, type Outcome, type TraceparentOf } from './types';

export interface OutboxRow {
  key: string;
  event: LedgerEventV1;
  /** The trace the event continues (its command's), if tracing is on. */
  traceparent?: string;
}

export function outcomeToRecord(o: Outcome, now: Date): TransferRecord {
  const c = o.command;
  return {
    id: c.transferId,
    tenantId: c.tenantId,
    kind: c.kind,
    holdId: c.holdId,
    refundOf: c.refundOf ?? null,
    refundLeg: c.refundLeg ?? null,
    hold: o.expiresAt
      ? {
          expiresAt: o.expiresAt,
          capturedAmount: null,
          releasedAmount: null,
          resolvedBy: null,
          resolvedAt: null,
        }
      : null,
    sourceAccountId: c.sourceAccountId,
    destinationAccountId: c.destinationAccountId,
    amount: c.amount,
    currency: c.currency,
    destinationAmount: o.destinationAmount,
    destinationCurrency: o.destinationCurrency,
    rate: o.rate,
    description: c.description,
    metadata: c.metadata,
    status: o.status,
    reason: o.reason,
    legs: o.legs ?? null,
    failedLeg: o.failedLeg ?? null,
    createdAt: o.createdAt,
    finalizedAt: now,
    entries: o.entries.map((e) => ({ accountId: e.accountId, amount: e.amount, currency: e.currency })),
  };
}

const HOLD_CLOSED_EVENT = {
  capture: 'transfer.captured',
  void: 'transfer.voided',
  expire: 'transfer.expired',
} as const;

/** The transfer event of an outcome, and the transfer it carries. */
function transferEvent(o: Outcome, now: Date) {
  // A follow-up that closed its hold tells of the hold, as it now stands.
  if (o.holdAfter && o.status === 'committed') {
    const kind = o.command.kind as keyof typeof HOLD_CLOSED_EVENT;
    return { type: HOLD_CLOSED_EVENT[kind], payload: toTransferView(o.holdAfter) };
  }
  const transfer = toTransferView(outcomeToRecord(o, now));
  const type = (
    { committed: 'transfer.committed', rejected: 'transfer.rejected', held: 'transfer.held' } as const
  )[o.status];
  return { type, payload: transfer };
}

/**
 * The events of a decided batch: one transfer event per outcome for the submitting tenant
 * (transfer.committed / rejected / held; a capture, void or expiry tells transfer.captured /
 * voided / expired with the hold as it now stands), and account.debited / account.credited for
 * every customer account an entry moved, for that account's owner. `entryIds[i][j]` is the id of
 * entry j of outcome i.
 * Each event carries the traceparent of its outcome's command, if it has one.
 */
export function buildEvents(
  outcomes: Outcome[],
  entryIds: string[][],
  accounts: Map<string, AccountState>,
  now: Date,
  traceparentOf: TraceparentOf = UNTRACED,
): OutboxRow[] {
  const occurredAt = now.toISOString();
  const rows: OutboxRow[] = [];
  outcomes.forEach((o, i) => {
    const c = o.command;
    const key = c.sourceAccountId ?? c.destinationAccountId!;
    const traceparent = traceparentOf(c);
    const traced = traceparent ? { traceparent } : {};
    const base = { id: newId(), version: 1 as const, occurred_at: occurredAt, tenant_id: c.tenantId };
    rows.push({ key, ...traced, event: { ...base, ...transferEvent(o, now) } });
    for (const tenant of refundedTenants(o)) {
      // A split as each tenant may see it: the payee refunding a leg, its own legs only.
      const payload = toTransferView(asSeenBy(o.refundAfter!, tenant));
      const event = { id: newId(), version: 1 as const, occurred_at: occurredAt, tenant_id: tenant };
      rows.push({ key, ...traced, event: { ...event, type: 'transfer.refunded', payload } });
    }
    o.entries.forEach((entry, j) => {
      const account = accounts.get(entry.accountId);
      if (!account || account.kind !== 'customer') return;
      const payload = {
        account_id: entry.accountId,
        transfer_id: c.transferId,
        entry_id: entryIds[i]![j]!,
        amount: (entry.amount < 0n ? -entry.amount : entry.amount).toString(),
        currency: entry.currency,
        balance_after: entry.balanceAfter.toString(),
      };
      const envelope = {
        id: newId(),
        version: 1 as const,
        occurred_at: occurredAt,
        tenant_id: account.tenantId,
      };
      rows.push({
        key: entry.accountId,
        ...traced,
        event:
          entry.amount < 0n
            ? { ...envelope, type: 'account.debited', payload }
            : { ...envelope, type: 'account.credited', payload },
      });
    });
  });
  return rows;
}

/**
 * Who is told `transfer.refunded` when a refund commits: the original's payer, whose systems know
 * the payment by its id (the refund's own events name only the refund), and its payee when that
 * is another tenant (the refunder learns of its refund by transfer.committed; this tells it the
 * original's new totals too).
 */
function refundedTenants(o: Outcome): string[] {
  const original = o.refundAfter;
  if (!original || o.status !== 'committed') return [];
  return [...new Set([original.tenantId, o.command.tenantId])];
}
