import { Router } from 'express';
import {
  CreateWebhookEndpointRequest,
  ListWebhookDeliveriesQuery,
  ListWebhookEndpointsQuery,
  RecoverWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
  type EventType,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../../../../../contracts/src';
import type { Pool } from '../../../../../platform/postgres';
import { encryptSecret, generateSecret } from '../../../../../domain/secret-box';
import type { ApiConfig } from '../../../config';
import {
  deleteOwnEndpoint,
  disableOwnEndpoint,
  enableOwnEndpoint,
  findOwnEndpoint,
  listOwnEndpoints,
  rotateOwnSecret,
  updateOwnEndpoint,
  type WebhookEndpointRow,
} from '../../../data-access/webhook-endpoints';
import { listDeliveries, type DeliveryRow } from '../../../data-access/webhook-deliveries';
import { createWebhookEndpoint } from '../../../use-cases/create-webhook-endpoint';
import { recoverDeliveries, retryDelivery } from '../../../use-cases/replay-webhook-deliveries';
import { ApiError, notFound } from '../api-error';
import { cursorPart, decodeCursor, encodeCursor } from '../pagination';
import { idParam } from '../params';
import { validate } from '../validate';

/** After a rotation the previous secret keeps signing this long (Standard Webhooks allows several signatures). */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export const webhookEndpointView = (r: WebhookEndpointRow): WebhookEndpoint => ({
  id: r.id,
  url: r.url,
  event_types: r.event_types as EventType[],
  description: r.description,
  status: r.status,
  disabled_reason: r.disabled_reason,
  previous_secret_expires_at: r.previous_secret_expires_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

const iso = (t: string | null) => (t === null ? null : new Date(t).toISOString());

export const webhookDeliveryView = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpoint_id: r.endpoint_id,
  event_id: r.event_id,
  event_type: r.event_type as EventType,
  status: r.status,
  next_attempt_at: iso(r.attempts.find((a) => a.status === 'scheduled')?.due_at ?? null),
  created_at: r.created_at.toISOString(),
  attempts: r.attempts.map((a) => ({
    id: a.id,
    trigger: a.trigger,
    status: a.status,
    scheduled_at: iso(a.due_at)!,
    started_at: a.status === 'scheduled' ? null : iso(a.started_at),
    finished_at: iso(a.finished_at),
    response_status_code: a.response_status,
    latency_ms: a.latency_ms,
    error: a.error,
  })),
});

/**
 * Webhook subscriptions of the authenticated tenant, their delivery log and replays. Another
 * tenant's endpoints and deliveries answer 404, as if they did not exist.
 */
export function webhookEndpointRoutes(deps: { pool: Pool; config: ApiConfig }): Router {
  const router = Router();
  const { pool, config } = deps;

  /** http:// is for local use only; the address itself is checked by the dispatcher at send time. */
  const checkScheme = (url: string | undefined) => {
    if (url === undefined || url.startsWith('https://') || config.WEBHOOK_ALLOW_HTTP) return;
    throw new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'url', reason: 'only https URLs are accepted', code: 'url_scheme_not_allowed' },
    ]);
  };
  const own = async (tenantId: string, id: string) => {
    const row = await findOwnEndpoint(pool, tenantId, id);
    if (!row) throw notFound('webhook endpoint');
    return row;
  };

  router.post('/webhook-endpoints', async (req, res) => {
    const body = validate(CreateWebhookEndpointRequest, req.body);
    checkScheme(body.url);
    const { row, secret } = await createWebhookEndpoint(deps, res.locals.tenantId, body);
    res
      .status(201)
      .location(`/v1/webhook-endpoints/${row.id}`)
      .set('Cache-Control', 'no-store')
      .json({ ...webhookEndpointView(row), secret });
  });

  router.get('/webhook-endpoints', async (req, res) => {
    const q = validate(ListWebhookEndpointsQuery, req.query, 'query');
    const after = decodeCursor(q.cursor, [cursorPart.uuid])?.[0];
    const rows = await listOwnEndpoints(pool, res.locals.tenantId, after, q.limit + 1);
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map(webhookEndpointView),
      next_cursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
    });
  });

  router.get('/webhook-endpoints/:id', async (req, res) => {
    res.json(webhookEndpointView(await own(res.locals.tenantId, idParam(req))));
  });

  router.patch('/webhook-endpoints/:id', async (req, res) => {
    const id = idParam(req);
    const changes = validate(UpdateWebhookEndpointRequest, req.body);
    checkScheme(changes.url);
    const row = await updateOwnEndpoint(pool, res.locals.tenantId, id, {
      url: changes.url,
      description: changes.description,
      eventTypes: changes.event_types,
    });
    if (!row) throw notFound('webhook endpoint');
    res.json(webhookEndpointView(row));
  });

  router.delete('/webhook-endpoints/:id', async (req, res) => {
    if (!(await deleteOwnEndpoint(pool, res.locals.tenantId, idParam(req))))
      throw notFound('webhook endpoint');
    res.status(204).end();
  });

  router.post('/webhook-endpoints/:id/disable', async (req, res) => {
    const row = await disableOwnEndpoint(pool, res.locals.tenantId, idParam(req));
    if (!row) throw notFound('webhook endpoint');
    res.json(webhookEndpointView(row));
  });

  router.post('/webhook-endpoints/:id/enable', async (req, res) => {
    const row = await enableOwnEndpoint(pool, res.locals.tenantId, idParam(req));
    if (!row) throw notFound('webhook endpoint');
    res.json(webhookEndpointView(row));
  });

  router.post('/webhook-endpoints/:id/rotate-secret', async (req, res) => {
    const id = idParam(req);
    const secret = generateSecret();
    const sealed = encryptSecret(config.WEBHOOK_SECRETS_KEY, id, secret);
    const row = await rotateOwnSecret(pool, res.locals.tenantId, id, sealed, ROTATION_OVERLAP_MS);
    if (!row) throw notFound('webhook endpoint');
    res.set('Cache-Control', 'no-store').json({ ...webhookEndpointView(row), secret });
  });

  router.get('/webhook-endpoints/:id/deliveries', async (req, res) => {
    const id = idParam(req);
    const q = validate(ListWebhookDeliveriesQuery, req.query, 'query');
    await own(res.locals.tenantId, id);
    const before = decodeCursor(q.cursor, [cursorPart.uuid])?.[0];
    const rows = await listDeliveries(pool, { endpointId: id, status: q.status, before, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map(webhookDeliveryView),
      next_cursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
    });
  });

  router.post('/webhook-deliveries/:id/retry', async (req, res) => {
    const id = idParam(req);
    await retryDelivery(pool, res.locals.tenantId, id);
    res.status(202).json({ id, status: 'pending' });
  });

  router.post('/webhook-endpoints/:id/recover', async (req, res) => {
    const id = idParam(req);
    const body = validate(RecoverWebhookEndpointRequest, req.body);
    const recovered = await recoverDeliveries(
      pool,
      res.locals.tenantId,
      id,
      body.since,
      config.WEBHOOK_RECOVER_BATCH_MAX,
    );
    res.status(202).json({ recovered });
  });

  return router;
}
