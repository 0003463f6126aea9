import { COMMAND_BYTES_MAX, TransferCommandV1 } from '../../../contracts/src';
import { canonicalInstant, holdActionFingerprint, requestFingerprint } from '../../../domain/fingerprint';
import { deriveTransferId } from '../../../platform/ids';
import { InvalidAmountError, parseAmount } from '../../../domain/money';
import { PermanentCommandError } from './errors';
import { parseRefund } from './parse-refund';
import type { Command } from './types';

/**
 * Turns the bytes of a Kafka message into a command, or says why it never can be.
 * @throws PermanentCommandError (oversized, malformed_json, schema_violation)
 */
export function parseCommand(value: Buffer | null): Command {
  if (!value || value.length === 0) throw new PermanentCommandError('malformed_json', 'empty message');
  if (value.length > COMMAND_BYTES_MAX)
    throw new PermanentCommandError('oversized', `${value.length} bytes, at most ${COMMAND_BYTES_MAX}`);
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new PermanentCommandError('malformed_json', (error as Error).message);
  }
  const parsed = TransferCommandV1.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new PermanentCommandError('schema_violation', detail);
  }
  const data = parsed.data;
  if (data.type === 'transfer.refund') return parseRefund(data.payload);
  if (data.type !== 'transfer.requested') return parseHoldAction(data);
  const p = data.payload;
  const legs = p.legs?.map((l) => ({
    destinationAccountId: l.destination_account_id,
    amount: amountOf(l.amount),
  }));
  // A split debits the sum of its legs (the contract checked a given amount equals it).
  const amount = legs ? legs.reduce((sum, l) => sum + l.amount, 0n) : amountOf(p.amount!);
  const hold =
    p.capture === 'manual' ? { expiresAt: p.expires_at ? canonicalInstant(p.expires_at) : null } : null;
  const fields = {
    kind: p.kind,
    sourceAccountId: p.source_account_id ?? null,
    destinationAccountId: p.destination_account_id ?? null,
    amount,
    currency: p.currency,
    description: p.description ?? null,
    metadata: p.metadata ?? null,
    hold,
    legs: legs ?? null,
  };
  return {
    ...fields,
    transferId: p.transfer_id ?? deriveTransferId(p.tenant_id, p.idempotency_key),
    tenantId: p.tenant_id,
    idempotencyKey: p.idempotency_key,
    requestHash: requestFingerprint(fields),
    holdId: null,
    requestedAmount: null,
  };
}

/**
 * The idempotency key of a hold's expiry: one per hold, with a space, which no client key may
 * hold (printable ASCII without spaces), so no request can take it first.
 */
export const expiryIdempotencyKey = (holdId: string) => `hold expiry ${holdId}`;

/**
 * A capture, void or expiry: its accounts, currency and amount are the hold's, filled in when it
 * is decided; until then `amount` is what a capture asked for (0 for the whole hold).
 */
function parseHoldAction(
  data: Exclude<TransferCommandV1, { type: 'transfer.requested' | 'transfer.refund' }>,
): Command {
  if (data.type === 'transfer.expire') return expiryCommand(data.payload.tenant_id, data.payload.hold_id);
  const p = data.payload;
  const kind = data.type === 'transfer.capture' ? 'capture' : 'void';
  const requestedAmount =
    data.type === 'transfer.capture' && data.payload.amount !== undefined
      ? amountOf(data.payload.amount)
      : null;
  return holdAction(kind, p.tenant_id, p.hold_id, p.idempotency_key, p.transfer_id, requestedAmount);
}

/**
 * The expiry of a hold: one per hold, the same whoever brings it about (the sweeper's command,
 * or a capture or void decided at or after `expires_at`), so it is recorded once.
 */
export function expiryCommand(tenantId: string, holdId: string): Command {
  return holdAction('expire', tenantId, holdId, expiryIdempotencyKey(holdId), undefined, null);
}

function holdAction(
  kind: 'capture' | 'void' | 'expire',
  tenantId: string,
  holdId: string,
  idempotencyKey: string,
  transferId: string | undefined,
  requestedAmount: bigint | null,
): Command {
  return {
    kind,
    sourceAccountId: null,
    destinationAccountId: null,
    amount: requestedAmount ?? 0n,
    currency: '',
    description: null,
    metadata: null,
    hold: null,
    transferId: transferId ?? deriveTransferId(tenantId, idempotencyKey),
    tenantId,
    idempotencyKey,
    requestHash: holdActionFingerprint(kind, holdId, requestedAmount),
    holdId,
    requestedAmount,
  };
}

function amountOf(value: string | number): bigint {
  try {
    return parseAmount(value);
  } catch (error) {
    if (error instanceof InvalidAmountError)
      throw new PermanentCommandError('schema_violation', `amount: ${error.reason}`);
    throw error;
  }
}
