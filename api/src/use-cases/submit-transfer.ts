import {
  HOLD_EXPIRY_DEFAULT_MS,
  HOLD_EXPIRY_MAX_MS,
  type CreateTransferRequest,
  type TransferCommandPayloadV1,
} from '../../../contracts/src';
import { canonicalInstant, requestFingerprint } from '../../../domain/fingerprint';
import { newId } from '../../../platform/ids';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import {
  AccountNotFound,
  AmountTooLarge,
  HoldExpiryOutOfRange,
  type TransferAccountField,
} from '../domain/errors';
import type { AccountDirectory } from '../data-access/account-directory';
import { acceptPending, replayOrRefuse, type AcceptDeps, type Submitted } from './accept-pending';

export type { Submitted } from './accept-pending';

export interface SubmitDeps extends AcceptDeps {
  accounts: AccountDirectory;
}

/**
 * Accepts a transfer or a hold (manual capture): checks the accounts the tenant names and a
 * hold's expiry, records it as pending (the durable promise behind the 202, deduplicated per
 * tenant and idempotency key) and publishes its command (see acceptPending).
 * Errors other than the domain errors below (a database outage) pass through.
 * @throws AmountTooLarge when the amount is beyond AMOUNT_MAX
 * @throws HoldExpiryOutOfRange when a hold's expires_at is not after now or more than 30 days
 *   ahead, unless the request replays one accepted under its key (answered as a replay)
 * @throws AccountNotFound naming each account field the tenant cannot use
 * @throws IdempotencyKeyReused when the key was used before with another request
 */
export async function submitTransfer(
  deps: SubmitDeps,
  tenantId: string,
  idempotencyKey: string,
  body: CreateTransferRequest,
): Promise<Submitted> {
  const legs = body.legs?.map((l) => ({
    destinationAccountId: l.destination_account_id,
    amount: parseAmount(l.amount),
  }));
  legs?.forEach((l, i) => {
    if (l.amount > AMOUNT_MAX) throw new AmountTooLarge(`legs.${i}.amount`, AMOUNT_MAX);
  });
  // A split debits the sum of its legs (the contract checked a given amount equals it).
  const amount = legs ? legs.reduce((sum, l) => sum + l.amount, 0n) : parseAmount(body.amount!);
  if (amount > AMOUNT_MAX) throw new AmountTooLarge('amount', AMOUNT_MAX);
  const manual = body.capture === 'manual';
  await checkAccounts(deps.accounts, tenantId, body);

  const id = newId();
  const payload: TransferCommandPayloadV1 = {
    transfer_id: id,
    tenant_id: tenantId,
    idempotency_key: idempotencyKey,
    ...body,
    amount: amount.toString(),
  };
  // What the request asks, as both its fingerprint and its pending row record it.
  const asked = {
    kind: body.kind,
    sourceAccountId: body.source_account_id ?? null,
    destinationAccountId: body.destination_account_id ?? null,
    amount,
    currency: body.currency,
    description: body.description ?? null,
    metadata: body.metadata ?? null,
    legs: legs ?? null,
  };
  const requestHash = requestFingerprint({
    ...asked,
    hold: manual ? { expiresAt: body.expires_at ? canonicalInstant(body.expires_at) : null } : null,
  });
  let expiresAt: Date | null;
  try {
    expiresAt = manual ? holdExpiry(body.expires_at) : null;
  } catch (error) {
    if (!(error instanceof HoldExpiryOutOfRange)) throw error;
    return replayOrRefuse(deps, tenantId, idempotencyKey, requestHash, error);
  }
  return acceptPending(deps, {
    id,
    tenantId,
    idempotencyKey,
    requestHash,
    ...asked,
    expiresAt,
    holdId: null,
    command: payload,
  });
}

/**
 * When a hold lapses: as asked, after now and at most 30 days ahead, or 7 days from now.
 * @throws HoldExpiryOutOfRange
 */
function holdExpiry(requested: string | undefined): Date {
  const now = Date.now();
  if (requested === undefined) return new Date(now + HOLD_EXPIRY_DEFAULT_MS);
  const at = new Date(requested);
  if (at.getTime() <= now || at.getTime() > now + HOLD_EXPIRY_MAX_MS) throw new HoldExpiryOutOfRange();
  return at;
}

/**
 * The tenant debits only its own accounts and may credit any customer account. Anything else is
 * AccountNotFound naming the field, so other tenants' accounts cannot be told apart from missing ones.
 * @throws AccountNotFound
 */
async function checkAccounts(directory: AccountDirectory, tenantId: string, body: CreateTransferRequest) {
  const ids = [body.source_account_id, body.destination_account_id].filter((x): x is string => !!x);
  const facts = await directory.lookup(ids);
  const missing: TransferAccountField[] = [];
  const check = (field: TransferAccountField, mustOwn: boolean) => {
    const id = body[field];
    if (!id) return;
    const f = facts.get(id);
    if (!f || f.kind !== 'customer' || (mustOwn && f.tenantId !== tenantId)) missing.push(field);
  };
  check('source_account_id', true);
  check('destination_account_id', body.kind === 'deposit');
  if (missing.length > 0) throw new AccountNotFound(missing);
}
