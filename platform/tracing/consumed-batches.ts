import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { ConsumedBatchSpan } from './types';
import { failed } from './batched-calls';

/** Kafka header values arrive as Buffers (or arrays of them). */
const headerGetter: TextMapGetter<IHeaders | undefined> = {
  keys: (headers) => Object.keys(headers ?? {}),
  get: (headers, key) => {
    const value = headers?.[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

/** The producer's span context a message carries in W3C `traceparent`, if any. */
function producerContext(message: KafkaMessage): SpanContext | undefined {
  const extracted = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, message.headers, headerGetter));
  return extracted && trace.isSpanContextValid(extracted) ? extracted : undefined;
}

/**
 * See Tracing.consumedBatch. The kafkajs instrumentation traces `eachBatch` as a new trace
 * (`poll` with one `process` span per message, linked to the producers), which leaves the
 * producer's trace (an API request) without its outcome. Here:
 * - `ledger.commit-batch`, child of the current (poll) span, around the chunk's one database
 *   transaction, linked to every message's producer span (the SDK keeps the first 128 links,
 *   OTEL_SPAN_LINK_COUNT_LIMIT), so the SQL of the commit sits under it;
 * - `ledger.commit-command`, one per message that carries a trace context, a child of that
 *   message's producer span (so inside the API request's trace) and linked to the batch span,
 *   spanning the same time, marked when the message was dead-lettered.
 */
export async function tracedConsumedBatch<T>(
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
  work: (span: ConsumedBatchSpan) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer('ledger');
  const messaging = {
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(partition),
  };
  const producers = messages.map(producerContext);
  const links: Link[] = producers.filter((c) => c !== undefined).map((c) => ({ context: c }));
  const batch = tracer.startSpan('ledger.commit-batch', {
    attributes: { ...messaging, 'messaging.batch.message_count': messages.length },
    links,
  });
  const perMessage = new Map<KafkaMessage, Span>();
  messages.forEach((message, i) => {
    const producer = producers[i];
    if (!producer) return;
    const span = tracer.startSpan(
      'ledger.commit-command',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messaging,
          'messaging.operation.type': 'process',
          'messaging.kafka.offset': Number(message.offset),
          ...(message.key ? { 'messaging.kafka.message.key': String(message.key) } : {}),
        },
        links: [{ context: batch.spanContext() }],
      },
      trace.setSpanContext(ROOT_CONTEXT, producer),
    );
    perMessage.set(message, span);
  });
  const handle: ConsumedBatchSpan = {
    deadLettered(message, reason) {
      const span = perMessage.get(message);
      span?.setAttribute('ledger.dead_letter.reason', reason);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${reason}` });
    },
    counted(counts) {
      for (const [name, value] of Object.entries(counts)) batch.setAttribute(`ledger.batch.${name}`, value);
    },
    traceparentOf(message) {
      const span = perMessage.get(message);
      if (!span) return undefined;
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
      return carrier.traceparent;
    },
  };
  try {
    return await context.with(trace.setSpan(context.active(), batch), () => work(handle));
  } catch (error) {
    failed(batch, error);
    for (const span of perMessage.values()) failed(span, error);
    throw error;
  } finally {
    batch.end();
    for (const span of perMessage.values()) span.end();
  }
}
