/**
 * What the API's use cases refuse, as plain classes with the facts of the refusal. They know
 * nothing of HTTP: entry-points/http/error-handler.ts maps each, in one place, to a status and a
 * stable code from contracts/src/errors.ts.
 */
export abstract class DomainError extends Error {
  override readonly name: string = this.constructor.name;
}

export type TransferAccountField = 'source_account_id' | 'destination_account_id';

/**
 * Accounts a transfer names that do not exist, are not customer accounts, or that this tenant may
 * not use that way (it debits only its own). One error for all three, so another tenant's
 * accounts cannot be told apart from missing ones.
 */
export class AccountNotFound extends DomainError {
  constructor(readonly fields: readonly TransferAccountField[]) {
    super(`no such account: ${fields.join(', ')}`);
  }
}

/** An amount beyond what the ledger holds in one transfer. */
export class AmountTooLarge extends DomainError {
  constructor(
    readonly field: string,
    readonly max: bigint,
  ) {
    super(`${field} is more than ${max} minor units`);
  }
}

/** The tenant used this idempotency key before, with another request. */
export class IdempotencyKeyReused extends DomainError {
  constructor(readonly idempotencyKey: string) {
    super('this Idempotency-Key was used with a different request');
  }
}

/** A hold's expires_at is not after now, or more than 30 days ahead. */
export class HoldExpiryOutOfRange extends DomainError {
  readonly field = 'expires_at';
  constructor() {
    super('expires_at must be in the future and at most 30 days ahead');
  }
}

/**
 * No hold of this tenant by that id: none at all, another tenant's (the payee's view of it too),
 * or a transfer with automatic capture. One error for all, so no one learns of another's holds.
 */
export class HoldNotFound extends DomainError {
  constructor(readonly holdId: string) {
    super('transfer not found');
  }
}

/** A capture of part of a held split: a split is captured whole (see decide-holds.ts). */
export class PartialCaptureOfSplit extends DomainError {
  constructor(readonly held: bigint) {
    super(`a split transfer is captured whole: leave amount out or give the held amount, ${held}`);
  }
}

/** A capture of more than the hold holds. */
export class CaptureExceedsHold extends DomainError {
  constructor(readonly held: bigint) {
    super(`at most the held amount, ${held}`);
  }
}

/**
 * No transfer this tenant may refund by that id: none at all, another tenant's, or one it paid
 * (only the payee refunds). One error for all, so no one learns of another's transfers.
 */
export class RefundOfNotFound extends DomainError {
  constructor(readonly transferId: string) {
    super('transfer not found');
  }
}

/** A refund of a transfer that is not a committed transfer between two accounts (yet, or at all). */
export class TransferNotRefundable extends DomainError {
  constructor(readonly why: string) {
    super(why);
  }
}

/**
 * A refund whose leg cannot be told: of a split whose legs pay several accounts of the tenant, no
 * leg given (refund_leg_required); a leg at which no account of the tenant is paid, out of range
 * alike, or a leg given for a transfer that is no split (refund_leg_not_owned).
 */
export class RefundLegInvalid extends DomainError {
  constructor(readonly code: 'refund_leg_required' | 'refund_leg_not_owned') {
    super(
      code === 'refund_leg_required'
        ? 'the split pays several accounts of yours: give the index of the leg refunded'
        : 'no leg at that index pays an account of yours (or the transfer is no split)',
    );
  }
}

/** A refund of more than remains refundable (in the original's destination currency). */
export class RefundExceedsOriginal extends DomainError {
  constructor(readonly remaining: bigint) {
    super(`at most what remains refundable, ${remaining}`);
  }
}

/**
 * Something of the tenant's that a use case acts on does not exist, or is another tenant's: one
 * error for both, so no one learns of another's accounts, endpoints or deliveries.
 */
export class ResourceNotFound extends DomainError {
  constructor(
    readonly resource: 'account' | 'webhook endpoint' | 'webhook delivery',
    readonly id: string,
  ) {
    super(`${resource} not found`);
  }
}

/** Sign-up with an email some tenant already registered (in any letter case). */
export class TenantEmailTaken extends DomainError {
  readonly field = 'email';
  constructor() {
    super('a tenant with this email already exists');
  }
}

/** A change to a closed account: closed is final. */
export class AccountClosed extends DomainError {
  constructor(readonly accountId: string) {
    super('a closed account cannot be changed');
  }
}

/** Closing an account whose balance is not zero. */
export class AccountNotEmpty extends DomainError {
  readonly field = 'status';
  constructor(readonly accountId: string) {
    super('only an account with a zero balance can be closed');
  }
}

/** A new webhook endpoint beyond the number a tenant may have. */
export class WebhookEndpointLimitReached extends DomainError {
  constructor(readonly max: number) {
    super(`a tenant has at most ${max} webhook endpoints`);
  }
}

/** A retry or recovery of deliveries to an endpoint that is disabled: enable it first. */
export class WebhookEndpointDisabled extends DomainError {
  constructor(readonly action: 'retry' | 'recover') {
    super(
      `enable the webhook endpoint before ${action === 'retry' ? 'retrying' : 'recovering'} its deliveries`,
    );
  }
}

/** A retry of a delivery that already has an attempt scheduled. */
export class WebhookDeliveryInProgress extends DomainError {
  constructor(readonly deliveryId: string) {
    super('an attempt of this delivery is already scheduled');
  }
}

/** No exchange rate is set from one currency to the other (an operator sets them: `npm run fx`). */
export class FxRateUnavailable extends DomainError {
  readonly field = 'currency';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`no exchange rate from ${from} to ${to}`);
  }
}

/** A balance history's range holds no interval, or more than are answered at once. */
export class BalanceHistoryRangeInvalid extends DomainError {
  readonly field = 'to';
  constructor(
    readonly code: 'range_empty' | 'too_many_intervals',
    reason: string,
  ) {
    super(reason);
  }
}
