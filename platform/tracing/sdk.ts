// Loaded by platform/tracing.ts only when tracing is on, before the instrumented libraries.
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Logger } from '../logger';
import type { Tracing } from './types';
import { tracedBatchedCall, tracedBatchedPublisher, tracedRelayedSend } from './batched-calls';
import { tracedConsumedBatch } from './consumed-batches';

/**
 * The OpenTelemetry Node SDK with the instrumentations this system needs. The exporter, its
 * protocol (http/protobuf by default, http/json, grpc), endpoint, headers, sampler and
 * propagators come from the standard OTEL_* variables, read by the SDK.
 */
export function startSdk(serviceName: string): Tracing {
  const named = (name: string) => (process.env[name] ?? '').trim();
  // This is tracing: metrics and logs are exported only when explicitly asked for (the SDK would
  // otherwise default both to OTLP, which Jaeger does not accept).
  const metricsAsked = named('OTEL_METRICS_EXPORTER') !== '';
  const logsExported = !['', 'none'].includes(named('OTEL_LOGS_EXPORTER'));
  const sdk = new NodeSDK({
    // The service's default name; OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, read by the
    // resource detectors merged over this base, take precedence.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
    ...(metricsAsked ? {} : { metricReaders: [] }),
    ...(logsExported ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({
        // Health probes every few seconds would drown the real traffic.
        ignoreIncomingRequestHook: (req) => req.url === '/health',
      }),
      // A span per middleware and handler, but none per express.Router: every request walks
      // through all the routers mounted under /v1, which would add one empty span each.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.ROUTER] }),
      // Only inside a traced operation: the outbox relay, the pending sweeper and the webhook
      // delivery loop poll the database and Redis on timers and would each start a trace per poll.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
      // trace_id / span_id in every log line written inside a span; the log lines themselves
      // stay on stdout unless OTEL_LOGS_EXPORTER asks for them.
      new PinoInstrumentation({ disableLogSending: !logsExported }),
    ],
  });
  sdk.start();
  let shutdown: Promise<void> | undefined;
  return {
    enabled: true,
    batchedCall: tracedBatchedCall,
    batchedPublisher: tracedBatchedPublisher,
    consumedBatch: tracedConsumedBatch,
    relayedSend: tracedRelayedSend,
    reportTo: (logger) => reportDiagnostics(logger),
    // Idempotent: the exporter is flushed once however often shutdown is asked for.
    shutdown: () => (shutdown ??= boundedFlush(sdk.shutdown())),
  };
}

/**
 * An unreachable collector makes the exporter retry for up to OTEL_EXPORTER_OTLP_TIMEOUT (10 s);
 * losing the last spans is better than a shutdown that outlives its deadline and is killed.
 */
const FLUSH_TIMEOUT_MS = 5_000;

function boundedFlush(flush: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`spans not exported within ${FLUSH_TIMEOUT_MS} ms; dropped`)),
      FLUSH_TIMEOUT_MS,
    );
  });
  return Promise.race([flush, timeout]).finally(() => clearTimeout(timer));
}

/** OpenTelemetry's warnings and errors through pino, unless OTEL_LOG_LEVEL chose its own logger. */
function reportDiagnostics(logger: Logger): void {
  if (process.env.OTEL_LOG_LEVEL !== undefined) return;
  const log = logger.child({ component: 'opentelemetry' });
  const write =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...args: unknown[]) =>
      log[level]({ detail: args.length > 0 ? args.map(String) : undefined }, message);
  diag.setLogger(
    {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      verbose: write('debug'),
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}
