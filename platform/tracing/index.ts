// Only zod and types here: this module is loaded before everything that tracing instruments
// (pg, kafkajs, express, http, ioredis, pino), so it must not load any of them itself.
import { z } from 'zod';
import { loadConfig } from '../config';
import type { ConsumedBatchSpan, Tracing } from './types';

export type * from './types';

const NO_BATCH_SPAN: ConsumedBatchSpan = {
  deadLettered: () => undefined,
  counted: () => undefined,
  traceparentOf: () => undefined,
};

/** Tracing off: everything passes through, nothing of OpenTelemetry is loaded. */
export const TRACING_OFF: Tracing = Object.freeze<Tracing>({
  enabled: false,
  batchedCall: (_name, fn) => fn,
  batchedPublisher: (publisher) => publisher,
  consumedBatch: (_topic, _partition, _messages, work) => work(NO_BATCH_SPAN),
  relayedSend: (_messages, send) => send(),
  reportTo: () => undefined,
  shutdown: async () => undefined,
});

/** As the OpenTelemetry specification says, an empty variable counts as unset. */
const unlessEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const httpUrl = z.url({ protocol: /^https?$/ });

// The standard OpenTelemetry variables that decide whether tracing runs at all; every other
// OTEL_* variable (protocol, sampler, headers, resource attributes...) is read by the SDK itself.
const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: unlessEmpty(z.string())
    .transform((v) => v?.trim().toLowerCase() === 'true')
    .describe('"true" turns tracing off whatever else is set'),
  OTEL_EXPORTER_OTLP_ENDPOINT: unlessEmpty(httpUrl).describe(
    'OTLP collector base URL (e.g. http://jaeger:4318); setting it turns tracing on',
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unlessEmpty(httpUrl).describe(
    'OTLP traces URL (e.g. http://jaeger:4318/v1/traces); setting it turns tracing on',
  ),
  OTEL_TRACES_EXPORTER: unlessEmpty(z.string()).describe(
    'otlp, console, zipkin or none; setting it (other than none) turns tracing on',
  ),
});

/** Whether the environment asks for tracing. Off unless an exporter or its endpoint is named. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const c = loadConfig(tracingEnvSchema, env);
  if (c.OTEL_SDK_DISABLED) return false;
  const exporters = c.OTEL_TRACES_EXPORTER?.split(',').map((s) => s.trim()) ?? [];
  // The SDK's own rule: "none" first means no exporter at all.
  if (exporters[0] === 'none') return false;
  return (
    exporters.length > 0 ||
    c.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
    c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined
  );
}

/**
 * Starts OpenTelemetry tracing for a service when the environment asks for it (see
 * tracingRequested), else returns TRACING_OFF without loading the SDK. Must run before the
 * instrumented libraries are first required: each service's `src/tracing.ts` calls it and is
 * the first import of its `main.ts` (CommonJS output keeps import order as require order).
 * `serviceName` is the default; OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES override it.
 * @throws ConfigError on a malformed OTEL_* variable it reads.
 */
export function startTracing(options: { serviceName: string }): Tracing {
  if (!tracingRequested()) return TRACING_OFF;
  // Loaded only now so that with tracing off the SDK and instrumentations are never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy, synchronous load
  const sdk = require('./sdk') as typeof import('./sdk');
  return sdk.startSdk(options.serviceName);
}
