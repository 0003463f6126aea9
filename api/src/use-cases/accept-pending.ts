import { toTransferView } from '../../../domain/transfer-view';
import type { Transfer } from '../../../contracts/src';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { findByIdempotencyKey, findVisibleTransfer, type NewTransfer } from '../data-access/transfers';
import type { DomainError } from '../domain/errors';
import { IdempotencyKeyReused } from '../domain/errors';
import { commandMessage } from '../data-access/command-message';
import { PublisherUnavailableError, type CommandPublisher } from '../data-access/command-publisher';
import type { PendingWriter } from '../data-access/pending-writer';

export interface AcceptDeps {
  pool: Pool;
  publisher: Pick<CommandPublisher, 'publish'>;
  pending: PendingWriter;
  logger: Logger;
}

export interface Submitted {
  transfer: Transfer;
  replayed: boolean;
}

/**
 * The promise behind every 202 (transfers, holds and their captures and voids): records the
 * submission as pending, deduplicated per tenant and idempotency key, then publishes its command.
 * A publish that fails is not the client's problem: the sweeper re-publishes the pending row.
 * Errors other than the domain error below (a database outage) pass through.
 * @throws IdempotencyKeyReused when the key was used before with another request
 */
export async function acceptPending(deps: AcceptDeps, row: NewTransfer): Promise<Submitted> {
  const result = await deps.pending.insert(row);
  if (!result.inserted) {
    if (!result.sameRequest) throw new IdempotencyKeyReused(row.idempotencyKey);
    const existing = await findVisibleTransfer(deps.pool, row.tenantId, result.existingId);
    return { transfer: toTransferView(existing!), replayed: true };
  }
  try {
    await deps.publisher.publish(commandMessage({ ...row, payload: row.command }));
  } catch (error) {
    // Already durable as a pending row: the sweeper publishes it once Kafka takes it. The publisher
    // logs the outage once; each submission it touches is only a detail.
    const level = error instanceof PublisherUnavailableError ? 'debug' : 'warn';
    deps.logger[level](
      { err: error, transfer_id: row.id },
      'publish failed; the sweeper will re-publish the command',
    );
  }
  return { transfer: toTransferView(result.record), replayed: false };
}

/**
 * A request refused for a reason that depends on when it comes (a hold's expires_at, once in the
 * past), unless it is the replay of one accepted before under its key: the same key with the
 * same request answers the same transfer forever, whenever it comes again.
 * @throws the refusal, or IdempotencyKeyReused when the key was used with another request
 */
export async function replayOrRefuse(
  deps: Pick<AcceptDeps, 'pool'>,
  tenantId: string,
  idempotencyKey: string,
  requestHash: Buffer,
  refusal: DomainError,
): Promise<Submitted> {
  const prior = await findByIdempotencyKey(deps.pool, tenantId, idempotencyKey);
  if (!prior) throw refusal;
  if (!prior.requestHash.equals(requestHash)) throw new IdempotencyKeyReused(idempotencyKey);
  const existing = await findVisibleTransfer(deps.pool, tenantId, prior.id);
  return { transfer: toTransferView(existing!), replayed: true };
}
