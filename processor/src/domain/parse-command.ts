import { COMMAND_BYTES_MAX, TransferCommandV1 } from '../../../contracts/src';
import { requestFingerprint } from '../../../domain/fingerprint';
import { deriveTransferId } from '../../../platform/ids';
import { InvalidAmountError, parseAmount } from '../../../domain/money';
import { PermanentCommandError } from './errors';
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
  const p = parsed.data.payload;
  let amount: bigint;
  try {
    amount = parseAmount(p.amount);
  } catch (error) {
    if (error instanceof InvalidAmountError)
      throw new PermanentCommandError('schema_violation', `amount: ${error.reason}`);
    throw error;
  }
  const fields = {
    kind: p.kind,
    sourceAccountId: p.source_account_id ?? null,
    destinationAccountId: p.destination_account_id ?? null,
    amount,
    currency: p.currency,
    description: p.description ?? null,
    metadata: p.metadata ?? null,
  };
  return {
    ...fields,
    transferId: p.transfer_id ?? deriveTransferId(p.tenant_id, p.idempotency_key),
    tenantId: p.tenant_id,
    idempotencyKey: p.idempotency_key,
    requestHash: requestFingerprint(fields),
  };
}
