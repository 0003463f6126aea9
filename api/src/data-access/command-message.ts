import type { Message } from 'kafkajs';
import type { TransferCommandV1 } from '../../../contracts/src';
import type { TransferRecord } from '../../../domain/transfer-view';

/** What a command is published from: a pending row, or the submission that writes it. */
export interface PublishedCommand {
  kind: TransferRecord['kind'];
  sourceAccountId: string | null;
  destinationAccountId: string | null;
  payload: TransferCommandV1['payload'];
}

const TYPE_OF_KIND = {
  capture: 'transfer.capture',
  void: 'transfer.void',
  // The API never publishes an expiry (the processor's sweeper does); kept for completeness.
  expire: 'transfer.expire',
  transfer: 'transfer.requested',
  deposit: 'transfer.requested',
  withdrawal: 'transfer.requested',
  refund: 'transfer.refund',
} as const;

/**
 * The Kafka message of a command: keyed by the account whose balance it draws on (the credited
 * one for a deposit; a hold's follow-ups carry the hold's source, so they share its partition; a
 * refund's source is the original's destination, so all refunds of a transfer share a partition).
 */
export function commandMessage(c: PublishedCommand): Message {
  // The payload was validated against the type's schema when it was built; the pair is sound.
  const command = {
    type: TYPE_OF_KIND[c.kind],
    version: 1,
    occurred_at: new Date().toISOString(),
    payload: c.payload,
  } as TransferCommandV1;
  return {
    key: (c.kind === 'deposit' ? c.destinationAccountId : c.sourceAccountId)!,
    value: JSON.stringify(command),
  };
}
