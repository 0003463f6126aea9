import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import * as c from '../../../../contracts/src';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
/** A request body the route cannot do without (validate() refuses a missing one). */
const body = (schema: z.ZodType) => ({ required: true, ...json(schema) });
const error = (description: string) => ({ description, ...json(c.ErrorBody) });
/** 202 of a submission (a transfer, capture, void or refund): the pending transfer and where to poll it. */
const accepted = (description: string) => ({
  description,
  headers: z.object({ Location: z.string(), 'Idempotency-Replayed': z.literal('true').optional() }),
  ...json(c.Transfer),
});

const standardErrors = {
  '400': error('Invalid request: a field, a query parameter or malformed JSON'),
  '401': error('Missing, invalid or revoked API key'),
  '429': error(
    'rate_limited (too fast: retry after Retry-After, which grows while requests keep coming) or ' +
      'rate_limit_blocked (blocked for going past the hard limit: Retry-After is the time left); ' +
      'every response announces its limits in RateLimit-Policy and RateLimit',
  ),
} satisfies ZodOpenApiResponsesObject;

const idPath = { path: z.object({ id: c.Uuid }) };
const bearer = [{ apiKey: [] }];

const op = (o: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({
  security: bearer,
  ...o,
  responses: { ...standardErrors, ...o.responses },
});

/** The OpenAPI 3.1 document, generated from the zod contracts (also checked in: contracts/generated). */
export function buildOpenApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ledger API',
      version: '1.0.0',
      description:
        'Asynchronous double-entry ledger. Submit a transfer (202), then poll it until it is committed or rejected. ' +
        'Amounts are integers in minor units; send them as strings beyond 2^53.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, sk_live_...' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The operator admin token' },
      },
    },
    paths: {
      '/v1/tenants': {
        post: {
          summary: 'Create a tenant and its first API key (shown once)',
          security: [],
          requestBody: body(c.CreateTenantRequest),
          responses: {
            '201': { description: 'Created', ...json(c.TenantCreated) },
            '400': error('Invalid request'),
            '409': error('Email already registered'),
            '429': error('Rate limited'),
          },
        },
      },
      '/v1/api-keys': {
        post: op({
          summary: 'Create an API key (shown once)',
          // Optional: without a body the key is named "default".
          requestBody: json(c.CreateApiKeyRequest),
          responses: { '201': { description: 'Created', ...json(c.ApiKeyCreated) } },
        }),
        get: op({
          summary: 'List live API keys',
          responses: { '200': { description: 'OK', ...json(c.page(c.ApiKey)) } },
        }),
      },
      '/v1/api-keys/{id}': {
        delete: op({
          summary: 'Revoke an API key (takes effect at once)',
          requestParams: idPath,
          responses: { '204': { description: 'Revoked' }, '404': error('No such key') },
        }),
      },
      '/v1/accounts': {
        post: op({
          summary: 'Open an account in one currency',
          requestBody: body(c.CreateAccountRequest),
          responses: { '201': { description: 'Created', ...json(c.Account) } },
        }),
        get: op({
          summary: 'List accounts',
          requestParams: { query: c.ListAccountsQuery },
          responses: { '200': { description: 'OK', ...json(c.AccountPage) } },
        }),
      },
      '/v1/accounts/{id}': {
        get: op({
          summary: 'Get an account',
          requestParams: idPath,
          responses: { '200': { description: 'OK', ...json(c.Account) }, '404': error('No such account') },
        }),
        patch: op({
          summary: 'Rename, relabel, freeze, unfreeze or close an account',
          requestParams: idPath,
          requestBody: body(c.UpdateAccountRequest),
          responses: {
            '200': { description: 'OK', ...json(c.Account) },
            '404': error('No such account'),
            '409': error('Closed, or closing with a balance'),
          },
        }),
      },
      '/v1/accounts/{id}/balance': {
        get: op({
          summary: 'Balance, now or as of an instant (at), optionally converted at the current rate',
          description: c.AS_OF_SEMANTICS,
          requestParams: { ...idPath, query: c.BalanceQuery },
          responses: {
            '200': { description: 'OK', ...json(c.Balance) },
            '404': error('No such account'),
            '422': error('No rate for the pair'),
          },
        }),
      },
      '/v1/accounts/{id}/balance-history': {
        get: op({
          summary: `Closing balance of each hour or day from \`from\` to \`to\` (at most ${c.BALANCE_HISTORY_INTERVALS_MAX} intervals)`,
          description: c.AS_OF_SEMANTICS,
          requestParams: { ...idPath, query: c.BalanceHistoryQuery },
          responses: {
            '200': { description: 'OK', ...json(c.BalanceHistory) },
            '404': error('No such account'),
          },
        }),
      },
      '/v1/accounts/{id}/entries': {
        get: op({
          summary: 'Statement: ledger entries with running balance',
          requestParams: { ...idPath, query: c.StatementQuery },
          responses: {
            '200': { description: 'OK', ...json(c.StatementPage) },
            '404': error('No such account'),
          },
        }),
      },
      '/v1/transfers': {
        post: op({
          summary: 'Submit a transfer, deposit or withdrawal',
          requestParams: { header: z.object({ 'idempotency-key': c.IdempotencyKey }) },
          requestBody: body(c.CreateTransferRequest),
          responses: {
            '202': accepted(
              'Accepted (durably): poll Location until committed or rejected (held, for capture "manual")',
            ),
            '404': error('An account named does not exist or cannot be debited by this tenant'),
            '413': error('Body too large'),
            '415': error('Body is not JSON'),
            '422': error('Idempotency-Key reused with another request'),
          },
        }),
        get: op({
          summary:
            'List transfers sent or received (splits paying one of its accounts included, each restricted to its own legs), newest first',
          requestParams: { query: c.ListTransfersQuery },
          responses: { '200': { description: 'OK', ...json(c.TransferPage) } },
        }),
      },
      '/v1/transfers/{id}': {
        get: op({
          summary:
            'Get a transfer; wait up to 30 s for a final state with ?wait=N or Prefer: wait=N. The payee of a leg of a split sees the split restricted to its own legs (amount, entries and refunded totals of those legs only)',
          requestParams: { ...idPath, query: c.GetTransferQuery },
          responses: { '200': { description: 'OK', ...json(c.Transfer) }, '404': error('No such transfer') },
        }),
      },
      '/v1/transfers/{id}/capture': {
        post: op({
          summary:
            'Capture a hold (manual capture), in full or in part: posts the amount, releases the rest; one capture per hold',
          requestParams: { ...idPath, header: z.object({ 'idempotency-key': c.IdempotencyKey }) },
          requestBody: { ...json(c.CaptureHoldRequest), required: false },
          responses: {
            '202': accepted(
              'Accepted (durably): the capture is a transfer of kind capture; poll Location until committed, or rejected hold_not_open if the hold was already closed',
            ),
            '404': error('No hold of this tenant by that id'),
            '422': error('Idempotency-Key reused with another request'),
          },
        }),
      },
      '/v1/transfers/{id}/refunds': {
        post: op({
          summary:
            "Refund a committed transfer, in full or in part: debits its destination, credits its source (the payee refunds its payer); several partial refunds never exceed the original on either side. A split is refunded leg by leg by the owner of each leg's destination (`leg`: required when it owns several), in the leg's currency at the leg's recorded rate",
          requestParams: { ...idPath, header: z.object({ 'idempotency-key': c.IdempotencyKey }) },
          requestBody: { ...json(c.RefundTransferRequest), required: false },
          responses: {
            '202': accepted(
              'Accepted (durably): the refund is a transfer of kind refund with refund_of; poll Location until committed, or rejected (refund_exceeds_original when other refunds used up the original first, insufficient_funds, ...)',
            ),
            '400': error(
              'Invalid body, or (details[0].code) refund_exceeds_original: more than remains (of the leg); refund_leg_required: a split paying several accounts of this tenant, no leg given; refund_leg_not_owned: no leg at that index pays an account of this tenant, or a leg given for a transfer that is no split',
            ),
            '404': error('No transfer (no split leg) into an account of this tenant by that id'),
            '409': error(
              'Not refundable: a deposit, withdrawal, hold (a held split included) or follow-up; not committed',
            ),
            '422': error('Idempotency-Key reused with another request'),
          },
        }),
      },
      '/v1/transfers/{id}/void': {
        post: op({
          summary: 'Void a hold: releases the whole reservation',
          requestParams: { ...idPath, header: z.object({ 'idempotency-key': c.IdempotencyKey }) },
          requestBody: { ...json(c.VoidHoldRequest), required: false },
          responses: {
            '202': accepted(
              'Accepted (durably): the void is a transfer of kind void; poll Location until committed, or rejected hold_not_open',
            ),
            '404': error('No hold of this tenant by that id'),
            '422': error('Idempotency-Key reused with another request'),
          },
        }),
      },
      '/v1/webhook-endpoints': {
        post: op({
          summary: 'Subscribe an endpoint to event types; answers its signing secret (shown once)',
          requestBody: body(c.CreateWebhookEndpointRequest),
          responses: {
            '201': {
              description: 'Created',
              headers: z.object({ Location: z.string() }),
              ...json(c.WebhookEndpointWithSecret),
            },
            '409': error('The tenant has as many webhook endpoints as it may'),
          },
        }),
        get: op({
          summary: 'List webhook endpoints',
          requestParams: { query: c.ListWebhookEndpointsQuery },
          responses: { '200': { description: 'OK', ...json(c.WebhookEndpointPage) } },
        }),
      },
      '/v1/webhook-endpoints/{id}': {
        get: op({
          summary: 'Get a webhook endpoint (never its secret)',
          requestParams: idPath,
          responses: {
            '200': { description: 'OK', ...json(c.WebhookEndpoint) },
            '404': error('No such webhook endpoint'),
          },
        }),
        patch: op({
          summary: 'Change the URL, event types or description of a webhook endpoint',
          requestParams: idPath,
          requestBody: body(c.UpdateWebhookEndpointRequest),
          responses: {
            '200': { description: 'OK', ...json(c.WebhookEndpoint) },
            '404': error('No such webhook endpoint'),
          },
        }),
        delete: op({
          summary: 'Delete a webhook endpoint and its delivery log',
          requestParams: idPath,
          responses: { '204': { description: 'Deleted' }, '404': error('No such webhook endpoint') },
        }),
      },
      '/v1/webhook-endpoints/{id}/disable': {
        post: op({
          summary: 'Disable a webhook endpoint: its scheduled deliveries fail and can be recovered later',
          requestParams: idPath,
          responses: {
            '200': { description: 'OK', ...json(c.WebhookEndpoint) },
            '404': error('No such webhook endpoint'),
          },
        }),
      },
      '/v1/webhook-endpoints/{id}/enable': {
        post: op({
          summary: 'Enable a webhook endpoint again',
          requestParams: idPath,
          responses: {
            '200': { description: 'OK', ...json(c.WebhookEndpoint) },
            '404': error('No such webhook endpoint'),
          },
        }),
      },
      '/v1/webhook-endpoints/{id}/rotate-secret': {
        post: op({
          summary: 'Rotate the signing secret (shown once); the previous one keeps signing for 24 hours',
          requestParams: idPath,
          responses: {
            '200': { description: 'OK', ...json(c.WebhookEndpointWithSecret) },
            '404': error('No such webhook endpoint'),
          },
        }),
      },
      '/v1/webhook-endpoints/{id}/deliveries': {
        get: op({
          summary: 'Delivery log: messages of an endpoint, newest first, with their attempts',
          requestParams: { ...idPath, query: c.ListWebhookDeliveriesQuery },
          responses: {
            '200': { description: 'OK', ...json(c.WebhookDeliveryPage) },
            '404': error('No such webhook endpoint'),
          },
        }),
      },
      '/v1/webhook-endpoints/{id}/recover': {
        post: op({
          summary: 'Send again every failed delivery of an endpoint created since a given time',
          requestParams: idPath,
          requestBody: body(c.RecoverWebhookEndpointRequest),
          responses: {
            '202': { description: 'Scheduled', ...json(c.RecoverWebhookEndpointResponse) },
            '404': error('No such webhook endpoint'),
            '409': error('The endpoint is disabled: enable it first'),
          },
        }),
      },
      '/v1/webhook-deliveries/{id}/retry': {
        post: op({
          summary: 'Send one delivery again (delivered or failed), starting a new round of attempts',
          requestParams: idPath,
          responses: {
            '202': { description: 'Scheduled', ...json(c.WebhookDeliveryRetryAccepted) },
            '404': error('No such webhook delivery'),
            '409': error('The endpoint is disabled, or an attempt of this delivery is already scheduled'),
          },
        }),
      },
      '/v1/admin/rate-limit-blocks': {
        get: {
          summary: 'Clients blocked for going past a hard rate limit (operator only)',
          security: [{ adminToken: [] }],
          responses: {
            '200': { description: 'OK', ...json(c.RateLimitBlockList) },
            '401': error('Not the admin token'),
          },
        },
      },
      '/v1/admin/rate-limit-blocks/{subject}/{id}': {
        delete: {
          summary: 'Lift a block and forget its offences (operator only)',
          security: [{ adminToken: [] }],
          requestParams: {
            path: z.object({ subject: c.RateLimitBlock.shape.subject, id: z.string() }),
          },
          responses: {
            '204': { description: 'Lifted' },
            '400': error('Unknown subject'),
            '401': error('Not the admin token'),
            '404': error('No such block'),
          },
        },
      },
      '/v1/admin/fx-rates': {
        get: {
          summary: 'Every exchange rate set (operator only)',
          security: [{ adminToken: [] }],
          responses: {
            '200': { description: 'OK', ...json(c.FxRateList) },
            '401': error('Not the admin token'),
          },
        },
      },
      '/v1/admin/fx-rates/{base}/{quote}': {
        put: {
          summary: 'Set an exchange rate (operator only)',
          security: [{ adminToken: [] }],
          requestParams: { path: c.FxRatePairParams },
          requestBody: body(c.SetFxRateRequest),
          responses: {
            '200': { description: 'OK', ...json(c.FxRate) },
            '400': error('Invalid rate'),
            '401': error('Not the admin token'),
          },
        },
      },
    },
  });
}
