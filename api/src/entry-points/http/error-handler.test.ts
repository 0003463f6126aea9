import { HTTP_ERRORS } from '../../../../contracts/src';
import * as errors from '../../domain/errors';
import { fromDomain } from './error-handler';

/** One of each domain error, as a use case would throw it. */
const samples: errors.DomainError[] = [
  new errors.AccountNotFound(['source_account_id', 'destination_account_id']),
  new errors.AmountTooLarge('amount', 9_223_372_036_854_775_807n),
  new errors.IdempotencyKeyReused('order-42'),
  new errors.HoldExpiryOutOfRange(),
  new errors.HoldNotFound('0192f7a0-0000-7000-8000-000000000000'),
  new errors.CaptureExceedsHold(100n),
  new errors.PartialCaptureOfSplit(100n),
  new errors.RefundOfNotFound('0192f7a0-0000-7000-8000-000000000000'),
  new errors.TransferNotRefundable('a deposit cannot be refunded'),
  new errors.RefundExceedsOriginal(100n),
  new errors.RefundLegInvalid('refund_leg_required'),
  new errors.ResourceNotFound('webhook delivery', '0192f7a0-0000-7000-8000-000000000000'),
  new errors.TenantEmailTaken(),
  new errors.AccountClosed('0192f7a0-0000-7000-8000-000000000000'),
  new errors.AccountNotEmpty('0192f7a0-0000-7000-8000-000000000000'),
  new errors.WebhookEndpointLimitReached(20),
  new errors.WebhookEndpointDisabled('recover'),
  new errors.WebhookDeliveryInProgress('0192f7a0-0000-7000-8000-000000000000'),
  new errors.FxRateUnavailable('EUR', 'JPY'),
  new errors.BalanceHistoryRangeInvalid('range_empty', 'must be after from'),
];

describe('the mapping of domain errors to HTTP', () => {
  it('has a sample of every domain error class (a new one must be mapped here too)', () => {
    const classes = Object.values(errors).filter(
      (value) => typeof value === 'function' && value.prototype instanceof errors.DomainError,
    );
    expect(classes.map((c) => c.name).sort()).toEqual(samples.map((s) => s.constructor.name).sort());
  });

  it.each(samples.map((s) => [s.constructor.name, s] as const))(
    'answers %s with a stable code and its status',
    (_name, error) => {
      const mapped = fromDomain(error);
      expect(mapped).toBeDefined();
      expect(mapped!.status).toBe(HTTP_ERRORS[mapped!.code]);
      expect(mapped!.status).toBeLessThan(500);
    },
  );

  it('names each account a transfer cannot use, as the 404 it always was', () => {
    const mapped = fromDomain(new errors.AccountNotFound(['destination_account_id']))!;
    expect([mapped.status, mapped.code, mapped.message]).toEqual([404, 'not_found', 'account not found']);
    expect(mapped.details).toEqual([
      { field: 'destination_account_id', reason: 'no such account', code: 'account_not_found' },
    ]);
  });

  // What the routes answered when they built these ApiErrors themselves, word for word.
  it.each([
    [new errors.ResourceNotFound('account', 'x'), 404, 'not_found', 'account not found', undefined],
    [
      new errors.ResourceNotFound('webhook endpoint', 'x'),
      404,
      'not_found',
      'webhook endpoint not found',
      undefined,
    ],
    [
      new errors.TenantEmailTaken(),
      409,
      'tenant_email_taken',
      'a tenant with this email already exists',
      [{ field: 'email', reason: 'already registered', code: 'duplicate' }],
    ],
    [new errors.AccountClosed('x'), 409, 'account_closed', 'a closed account cannot be changed', undefined],
    [
      new errors.AccountNotEmpty('x'),
      409,
      'account_not_empty',
      'only an account with a zero balance can be closed',
      [{ field: 'status', reason: 'the balance is not zero', code: 'account_not_empty' }],
    ],
    [
      new errors.WebhookEndpointLimitReached(20),
      409,
      'webhook_endpoint_limit_reached',
      'a tenant has at most 20 webhook endpoints',
      undefined,
    ],
    [
      new errors.WebhookEndpointDisabled('retry'),
      409,
      'webhook_endpoint_disabled',
      'enable the webhook endpoint before retrying its deliveries',
      undefined,
    ],
    [
      new errors.WebhookEndpointDisabled('recover'),
      409,
      'webhook_endpoint_disabled',
      'enable the webhook endpoint before recovering its deliveries',
      undefined,
    ],
    [
      new errors.FxRateUnavailable('EUR', 'JPY'),
      422,
      'fx_rate_unavailable',
      'no exchange rate from EUR to JPY',
      [{ field: 'currency', reason: 'no rate set for this pair', code: 'fx_rate_unavailable' }],
    ],
    [
      new errors.BalanceHistoryRangeInvalid(
        'too_many_intervals',
        'at most 1000 intervals of an hour from `from`',
      ),
      400,
      'validation_failed',
      'the request query is invalid',
      [{ field: 'to', reason: 'at most 1000 intervals of an hour from `from`', code: 'too_many_intervals' }],
    ],
    [
      new errors.WebhookDeliveryInProgress('x'),
      409,
      'webhook_delivery_in_progress',
      'an attempt of this delivery is already scheduled',
      undefined,
    ],
  ] as const)('answers %p with %i %s: "%s"', (error, status, code, message, details) => {
    const mapped = fromDomain(error)!;
    expect([mapped.status, mapped.code, mapped.message, mapped.details]).toEqual([
      status,
      code,
      message,
      details,
    ]);
  });

  it('leaves anything else to the other mappings (a plain Error is a 500)', () => {
    expect(fromDomain(new Error('boom'))).toBeUndefined();
  });
});
