import type { CreateTransferRequest, Transfer, TransferCommandV1 } from '../../../contracts/src';
import { requestFingerprint } from '../../../domain/fingerprint';
import { newId } from '../../../platform/ids';
import type { Logger } from '../../../platform/logger';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import type { Pool } from '../../../platform/postgres';
import { toTransferView } from '../../../domain/transfer-view';
import {
  AccountNotFound,
  AmountTooLarge,
  IdempotencyKeyReused,
  type TransferAccountField,
} from '../domain/errors';
import { findVisibleTransfer } from '../data-access/transfers';
import type { AccountDirectory } from '../data-access/account-directory';
import {
  partitionKey,
  PublisherUnavailableError,
  type CommandPublisher,
} from '../data-access/command-publisher';
import type { PendingWriter } from '../data-access/pending-writer';

export interface SubmitDeps {
  pool: Pool;
  accounts: AccountDirectory;
  publisher: Pick<CommandPublisher, 'publish'>;
  pending: PendingWriter;
  logger: Logger;
}

export interface Submitted {
  transfer: Transfer;
  replayed: boolean;
}

/**
 * Accepts a transfer: checks the accounts the tenant names, records it as pending (the durable
 * promise behind the 202, deduplicated per tenant and idempotency key) and publishes its command.
 * A publish that fails is not the client's problem: the pending row is re-published by the sweeper.
 * Errors other than the domain errors below (a database outage) pass through.
 * @throws AmountTooLarge when the amount is beyond AMOUNT_MAX
 * @throws AccountNotFound naming each account field the tenant cannot use
 * @throws IdempotencyKeyReused when the key was used before with another request
 */
export async function submitTransfer(
  deps: SubmitDeps,
  tenantId: string,
  idempotencyKey: string,
  body: CreateTransferRequest,
): Promise<Submitted> {
  const amount = parseAmount(body.amount);
  if (amount > AMOUNT_MAX) throw new AmountTooLarge('amount', AMOUNT_MAX);
  await checkAccounts(deps.accounts, tenantId, body);

  const id = newId();
  const command: TransferCommandV1 = {
    type: 'transfer.requested',
    version: 1,
    occurred_at: new Date().toISOString(),
    payload: {
      transfer_id: id,
      tenant_id: tenantId,
      idempotency_key: idempotencyKey,
      ...body,
      amount: amount.toString(),
    },
  };
  const requestHash = requestFingerprint({
    kind: body.kind,
    sourceAccountId: body.source_account_id ?? null,
    destinationAccountId: body.destination_account_id ?? null,
    amount,
    currency: body.currency,
    description: body.description ?? null,
    metadata: body.metadata ?? null,
  });
  const result = await deps.pending.insert({
    id,
    tenantId,
    idempotencyKey,
    requestHash,
    command: command.payload,
    amount,
  });
  if (!result.inserted) {
    if (!result.sameRequest) throw new IdempotencyKeyReused(idempotencyKey);
    const existing = await findVisibleTransfer(deps.pool, tenantId, result.existingId);
    return { transfer: toTransferView(existing!), replayed: true };
  }
  try {
    await deps.publisher.publish({ key: partitionKey(command.payload), value: JSON.stringify(command) });
  } catch (error) {
    // Already durable as a pending row: the sweeper publishes it once Kafka takes it. The publisher
    // logs the outage once; each submission it touches is only a detail.
    const level = error instanceof PublisherUnavailableError ? 'debug' : 'warn';
    deps.logger[level](
      { err: error, transfer_id: id },
      'publish failed; the sweeper will re-publish the command',
    );
  }
  return { transfer: toTransferView(result.record), replayed: false };
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
