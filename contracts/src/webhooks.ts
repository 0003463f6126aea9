import { z } from 'zod';
import { AccountMovement, EventType } from './events';
import { PageQuery, SafeText, Timestamp, TimestampInput, Uuid, page, checkStorableText } from './primitives';
import { Transfer } from './transfers';

export const WEBHOOK_URL_LENGTH_MAX = 2048;
export const WEBHOOK_DESCRIPTION_LENGTH_MAX = 500;

const EventTypes = z
  .array(EventType)
  .min(1)
  .max(EventType.options.length)
  .refine((types) => new Set(types).size === types.length, 'event types must not repeat')
  // The refinement above, in the documents (zod cannot derive it from a refine).
  .meta({ description: 'The event types delivered to this endpoint', uniqueItems: true });

const EndpointUrl = z
  .url({ protocol: /^https?$/ })
  .max(WEBHOOK_URL_LENGTH_MAX)
  .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'credentials in the URL are not allowed')
  // The URL parser accepts (and would percent-encode) both, but the URL is stored as given.
  .superRefine(checkStorableText)
  .meta({ description: 'Where events are POSTed; https (http only where the operator allows it)' });

export const CreateWebhookEndpointRequest = z
  .object({
    url: EndpointUrl,
    event_types: EventTypes,
    description: SafeText.max(WEBHOOK_DESCRIPTION_LENGTH_MAX).optional(),
  })
  .strict()
  .meta({ id: 'CreateWebhookEndpointRequest' });
export type CreateWebhookEndpointRequest = z.infer<typeof CreateWebhookEndpointRequest>;

export const UpdateWebhookEndpointRequest = z
  .object({
    url: EndpointUrl.optional(),
    event_types: EventTypes.optional(),
    description: SafeText.max(WEBHOOK_DESCRIPTION_LENGTH_MAX).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'url, event_types or description is required')
  .meta({ id: 'UpdateWebhookEndpointRequest', minProperties: 1 });
export type UpdateWebhookEndpointRequest = z.infer<typeof UpdateWebhookEndpointRequest>;

export const WebhookEndpointStatus = z.enum(['enabled', 'disabled']).meta({ id: 'WebhookEndpointStatus' });

export const WebhookDisabledReason = z.enum(['manual', 'gone', 'failing']).meta({
  id: 'WebhookDisabledReason',
  description: 'manual: by the tenant; gone: the endpoint answered 410; failing: no success for 5 days',
});

export const WebhookEndpoint = z
  .object({
    id: Uuid,
    url: z.string(),
    event_types: z.array(EventType),
    description: z.string(),
    status: WebhookEndpointStatus,
    disabled_reason: WebhookDisabledReason.nullable(),
    previous_secret_expires_at: Timestamp.nullable().meta({
      description: 'After a rotation, until when the previous secret still signs deliveries',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/)
  .meta({
    id: 'WebhookSecret',
    description:
      'Signing secret, `whsec_` + base64 of 24 to 64 random bytes; shown only at creation and rotation',
  });

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: WebhookSecret }).meta({
  id: 'WebhookEndpointWithSecret',
});

export const WebhookEndpointPage = page(WebhookEndpoint).meta({ id: 'WebhookEndpointPage' });
export const ListWebhookEndpointsQuery = PageQuery.extend({}).strict();

export const WebhookAttempt = z
  .object({
    id: z.string(),
    trigger: z.enum(['event', 'retry', 'manual', 'recover']),
    status: z.enum(['scheduled', 'succeeded', 'failed', 'cancelled']),
    scheduled_at: Timestamp.meta({ description: 'When the attempt is (or was) due' }),
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
    response_status_code: z.int().nullable(),
    latency_ms: z.int().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookAttempt' });
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const WebhookDeliveryStatus = z.enum(['pending', 'delivered', 'failed']).meta({
  id: 'WebhookDeliveryStatus',
  description:
    'pending: an attempt is scheduled; delivered: a 2xx came back; failed: retries ran out or the endpoint was disabled',
});

export const WebhookDelivery = z
  .object({
    id: Uuid,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: EventType,
    status: WebhookDeliveryStatus,
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    attempts: z.array(WebhookAttempt).meta({ description: 'The latest attempts, oldest first (at most 20)' }),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryPage = page(WebhookDelivery).meta({ id: 'WebhookDeliveryPage' });
export const ListWebhookDeliveriesQuery = PageQuery.extend({
  status: WebhookDeliveryStatus.optional(),
}).strict();

export const RecoverWebhookEndpointRequest = z
  .object({
    since: TimestampInput.meta({
      description: 'Failed deliveries created at or after this time are sent again',
    }),
  })
  .strict()
  .meta({ id: 'RecoverWebhookEndpointRequest' });

export const RecoverWebhookEndpointResponse = z
  .object({
    recovered: z.int().min(0).meta({ description: 'How many failed deliveries were scheduled again' }),
  })
  .meta({ id: 'RecoverWebhookEndpointResponse' });

export const WebhookDeliveryRetryAccepted = z
  .object({
    id: Uuid.meta({ description: 'The delivery (message) sent again' }),
    status: z.literal('pending'),
  })
  .meta({ id: 'WebhookDeliveryRetryAccepted' });

/** The largest webhook body the dispatcher sends; a larger event is not delivered (and logged). */
export const WEBHOOK_PAYLOAD_BYTES_MAX = 64 * 1024;

const payloadOf = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: Uuid.meta({ description: 'The event id: the same on every retry and a stable deduplication key' }),
    type: z.literal(type),
    created_at: Timestamp,
    data,
  });

/**
 * The body POSTed to endpoints, signed per Standard Webhooks (`webhook-id` is the event id,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
 */
export const WebhookPayload = z
  .discriminatedUnion('type', [
    payloadOf('transfer.committed', Transfer),
    payloadOf('transfer.rejected', Transfer),
    payloadOf('account.debited', AccountMovement),
    payloadOf('account.credited', AccountMovement),
  ])
  .meta({ id: 'WebhookPayload', title: 'Webhook payload' });
export type WebhookPayload = z.infer<typeof WebhookPayload>;
