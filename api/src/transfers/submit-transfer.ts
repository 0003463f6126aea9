import {
  HOLD_EXPIRY_DEFAULT_MS,
  HOLD_EXPIRY_MAX_MS,
  type CreateTransferRequest,
  type TransferCommandPayloadV1,
} from '../../../contracts/src';
import { canonicalInstant, requestFingerprint } from '../../../domain/fingerprint';
import { newId } from '../../../platform/ids';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import { ApiError } from '../http/api-error';
import type { AccountDirectory } from './account-directory';
import { acceptPending, type AcceptDeps, type Submitted } from './accept-pending';

export type { Submitted } from './accept-pending';

export interface SubmitDeps extends AcceptDeps {
  accounts: AccountDirectory;
}

/**
 * Accepts a transfer or a hold (manual capture): checks the accounts the tenant names and a
 * hold's expiry, records it as pending (the durable promise behind the 202, deduplicated per
 * tenant and idempotency key) and publishes its command (see acceptPending).
 * @throws ApiError validation_failed, not_found, idempotency_key_reused
 */
export async function submitTransfer(
  deps: SubmitDeps,
  tenantId: string,
  idempotencyKey: string,
  body: CreateTransferRequest,
): Promise<Submitted> {
  const amount = parseAmount(body.amount);
  if (amount > AMOUNT_MAX)
    throw new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'amount', reason: `at most ${AMOUNT_MAX} minor units`, code: 'too_big' },
    ]);
  const manual = body.capture === 'manual';
  const expiresAt = manual ? holdExpiry(body.expires_at) : null;
  await checkAccounts(deps.accounts, tenantId, body);

  const id = newId();
  const payload: TransferCommandPayloadV1 = {
    transfer_id: id,
    tenant_id: tenantId,
    idempotency_key: idempotencyKey,
    ...body,
    amount: amount.toString(),
  };
  const requestHash = requestFingerprint({
    kind: body.kind,
    sourceAccountId: body.source_account_id ?? null,
    destinationAccountId: body.destination_account_id ?? null,
    amount,
    currency: body.currency,
    description: body.description ?? null,
    metadata: body.metadata ?? null,
    hold: manual ? { expiresAt: body.expires_at ? canonicalInstant(body.expires_at) : null } : null,
  });
  return acceptPending(deps, {
    id,
    tenantId,
    idempotencyKey,
    requestHash,
    kind: body.kind,
    sourceAccountId: body.source_account_id ?? null,
    destinationAccountId: body.destination_account_id ?? null,
    amount,
    currency: body.currency,
    description: body.description ?? null,
    metadata: body.metadata ?? null,
    expiresAt,
    holdId: null,
    command: payload,
  });
}

/**
 * When a hold lapses: as asked, after now and at most 30 days ahead, or 7 days from now.
 * @throws ApiError validation_failed
 */
function holdExpiry(requested: string | undefined): Date {
  const now = Date.now();
  if (requested === undefined) return new Date(now + HOLD_EXPIRY_DEFAULT_MS);
  const at = new Date(requested);
  if (at.getTime() <= now || at.getTime() > now + HOLD_EXPIRY_MAX_MS)
    throw new ApiError('validation_failed', 'the request body is invalid', [
      {
        field: 'expires_at',
        reason: 'must be in the future and at most 30 days ahead',
        code: 'out_of_range',
      },
    ]);
  return at;
}

/**
 * The tenant debits only its own accounts and may credit any customer account. Anything else is
 * a 404 naming the field, so other tenants' accounts cannot be told apart from missing ones.
 */
async function checkAccounts(directory: AccountDirectory, tenantId: string, body: CreateTransferRequest) {
  const ids = [body.source_account_id, body.destination_account_id].filter((x): x is string => !!x);
  const facts = await directory.lookup(ids);
  const problems: Array<{ field: string; reason: string; code: string }> = [];
  const check = (field: 'source_account_id' | 'destination_account_id', mustOwn: boolean) => {
    const id = body[field];
    if (!id) return;
    const f = facts.get(id);
    if (!f || f.kind !== 'customer' || (mustOwn && f.tenantId !== tenantId))
      problems.push({ field, reason: 'no such account', code: 'account_not_found' });
  };
  check('source_account_id', true);
  check('destination_account_id', body.kind === 'deposit');
  if (problems.length > 0) throw new ApiError('not_found', 'account not found', problems);
}
