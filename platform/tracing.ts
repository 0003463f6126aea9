// Only zod and types here: this module is loaded before everything that tracing instruments
// (pg, kafkajs, express, http, ioredis, pino), so it must not load any of them itself.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { z } from 'zod';
import { loadConfig } from './config';
import type { Logger } from './logger';

/** A publisher of Kafka messages that shares sends between callers (a natural batcher). */
export interface MessagePublisher {
  publish(message: Message): Promise<void>;
  drain(): Promise<void>;
}

/** One consumed chunk of messages committed together, as seen by tracing. */
export interface ConsumedBatchSpan {
  /** Marks the span of a message whose command went to the dead-letter topic. */
  deadLettered(message: KafkaMessage, reason: string): void;
  /** Records what the chunk's transaction did (committed, rejected, ...). */
  counted(counts: Readonly<Record<string, number>>): void;
  /** W3C traceparent of the span committing this message's command, if it has one. */
  traceparentOf(message: KafkaMessage): string | undefined;
}

/** A message relayed from the outbox, with the trace its event continues, if any. */
export interface RelayedMessage {
  topic: string;
  traceparent?: string;
  headers: IHeaders;
}

export interface Tracing {
  readonly enabled: boolean;
  /**
   * Wraps a function served by a natural batcher: one span per call, in the caller's trace,
   * while the shared batch runs outside every caller's trace (it would otherwise be charged to
   * whichever request opened it, and every batch chained after it to that same request).
   */
  batchedCall<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => Promise<R>,
  ): (...args: A) => Promise<R>;
  /** The same for a batching Kafka publisher; each message carries its own caller's trace context. */
  batchedPublisher(publisher: MessagePublisher, topic: string): MessagePublisher;
  /**
   * Runs the work of one consumed chunk in a span linked to every message's producer, and gives
   * each message that carries a trace context a span in its producer's trace.
   */
  consumedBatch<T>(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    work: (span: ConsumedBatchSpan) => Promise<T>,
  ): Promise<T>;
  /**
   * Runs the send of messages relayed from the outbox. Each message that continues a trace gets
   * a producer span in it (send through the broker's acknowledgement), whose context replaces the
   * message's `traceparent` header; the send itself runs untraced, as a batched publisher's does.
   */
  relayedSend<T>(messages: readonly RelayedMessage[], send: () => Promise<T>): Promise<T>;
  /** Sends OpenTelemetry's own warnings and errors (an unreachable collector...) to the service's log. */
  reportTo(logger: Logger): void;
  /** Exports the spans still buffered; the last step of a graceful shutdown. */
  shutdown(): Promise<void>;
}

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
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  return sdk.startSdk(options.serviceName);
}
