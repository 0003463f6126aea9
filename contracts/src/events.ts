import { z } from 'zod';
import { CurrencyCode } from './currencies';
import { AmountString, Timestamp, Uuid } from './primitives';
import { Transfer, TransferLeg } from './transfers';

export const EVENT_TYPES = [
  'transfer.committed',
  'transfer.rejected',
  'transfer.held',
  'transfer.captured',
  'transfer.voided',
  'transfer.expired',
  'transfer.refunded',
  'account.debited',
  'account.credited',
] as const;
export const EventType = z.enum(EVENT_TYPES).meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventType>;

export const AccountMovement = z
  .object({
    account_id: Uuid,
    transfer_id: Uuid,
    entry_id: z.string(),
    amount: AmountString.meta({ description: 'Positive amount moved, in minor units' }),
    currency: CurrencyCode,
    balance_after: AmountString,
  })
  .meta({ id: 'AccountMovement' });

/**
 * A transfer as events carry it: Transfer, except that the fields added after version 1 events
 * were first published are optional. Events already in the outbox or on the topic when a newer
 * processor is deployed lack them, and a consumer (the webhook dispatcher, or any other) must take
 * those events as they are rather than skip them. The processor always writes every field.
 */
const TransferInEvent = Transfer.extend({
  // Added with holds, refunds and splits (events of the first version 1 processor lack them).
  capture: Transfer.shape.capture.optional(),
  hold_id: Transfer.shape.hold_id.optional(),
  hold: Transfer.shape.hold.optional(),
  refund_of: Transfer.shape.refund_of.optional(),
  refunded_amount: Transfer.shape.refunded_amount.optional(),
  refunded_destination_amount: Transfer.shape.refunded_destination_amount.optional(),
  failed_leg: Transfer.shape.failed_leg.optional(),
  // Added with refunds of splits, leg by leg.
  refund_leg: Transfer.shape.refund_leg.optional(),
  legs: z
    .array(
      TransferLeg.extend({
        index: TransferLeg.shape.index.optional(),
        refunded_amount: TransferLeg.shape.refunded_amount.optional(),
        refunded_destination_amount: TransferLeg.shape.refunded_destination_amount.optional(),
      }),
    )
    .nullable()
    .optional()
    .meta({ description: Transfer.shape.legs.description }),
}).meta({ id: 'TransferInEvent' });

const envelope = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({
    id: Uuid.meta({ description: 'Stable event id: redeliveries carry the same one' }),
    type: z.literal(type),
    version: z.literal(1),
    occurred_at: Timestamp,
    tenant_id: Uuid.meta({ description: 'The tenant the event concerns (owner of the account)' }),
    payload,
  });

/**
 * Events on ledger.events.v1, keyed by account id, written through the transactional outbox in
 * the same transaction as the ledger rows: nothing is published for work that did not commit.
 */
export const LedgerEventV1 = z
  .discriminatedUnion('type', [
    envelope('transfer.committed', TransferInEvent),
    envelope('transfer.rejected', TransferInEvent),
    // The hold's transfer, after the change: status held / captured / voided / expired, with its
    // `hold` amounts; a capture's entries are in its account.debited / account.credited events.
    envelope('transfer.held', TransferInEvent),
    envelope('transfer.captured', TransferInEvent),
    envelope('transfer.voided', TransferInEvent),
    envelope('transfer.expired', TransferInEvent),
    // The original transfer, after a refund of it committed: its refunded totals. For the
    // original's payer (whose systems know the payment by the original's id, not the refund's)
    // and, when another tenant, its payee.
    envelope('transfer.refunded', TransferInEvent),
    envelope('account.debited', AccountMovement),
    envelope('account.credited', AccountMovement),
  ])
  .meta({ id: 'LedgerEventV1', title: 'Ledger event, version 1' });

export type LedgerEventV1 = z.infer<typeof LedgerEventV1>;
