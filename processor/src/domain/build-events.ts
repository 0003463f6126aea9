import type { LedgerEventV1 } from '../../../contracts/src';
import { newId } from '../../../platform/ids';
import { toTransferView, type TransferRecord } from '../../../domain/transfer-view';
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
    createdAt: o.createdAt,
    finalizedAt: now,
    entries: o.entries.map((e) => ({ accountId: e.accountId, amount: e.amount, currency: e.currency })),
  };
}

/**
 * The events of a decided batch: one transfer.committed / transfer.rejected per outcome for the
 * submitting tenant, and account.debited / account.credited for every customer account an entry
 * moved, for that account's owner. `entryIds[i][j]` is the id of entry j of outcome i. Each event
 * carries the traceparent of its outcome's command, if it has one.
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
    const transfer = toTransferView(outcomeToRecord(o, now));
    const key = c.sourceAccountId ?? c.destinationAccountId!;
    const traceparent = traceparentOf(c);
    const traced = traceparent ? { traceparent } : {};
    const base = { id: newId(), version: 1 as const, occurred_at: occurredAt, tenant_id: c.tenantId };
    rows.push({
      key,
      ...traced,
      event:
        o.status === 'committed'
          ? { ...base, type: 'transfer.committed', payload: transfer }
          : { ...base, type: 'transfer.rejected', payload: transfer },
    });
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
