import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { MessagePublisher, RelayedMessage } from './types';

// A natural batcher (platform/natural-batcher.ts) sends a batch from the async context of the
// call that opened it, and schedules the next batch from there too: left alone, every batch of a
// busy process would be traced as part of the first request's trace, and the kafkajs
// instrumentation would stamp that one request's trace context on every message of a batch.
// So each call gets its own span in its caller's trace, and the batcher works in a context
// where tracing is suppressed (no span from the shared send or insert, no header overwritten).
const DETACHED = suppressTracing(ROOT_CONTEXT);

const tracer = () => trace.getTracer('ledger');

export function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(error instanceof Error ? { message: error.message } : {}),
  });
}

async function endWith<R>(span: Span, work: Promise<R>): Promise<R> {
  try {
    return await work;
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

const sendAttributes = (topic: string): Attributes => ({
  'messaging.system': 'kafka',
  'messaging.destination.name': topic,
  'messaging.operation.type': 'send',
  'messaging.operation.name': 'send',
});

/** See Tracing.batchedCall. */
export function tracedBatchedCall<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args) => {
    const span = tracer().startSpan(name, { attributes: { 'ledger.batched': true } });
    return endWith(
      span,
      context.with(DETACHED, () => fn(...args)),
    );
  };
}

/**
 * See Tracing.batchedPublisher. The span is the message's producer span (send through the
 * broker's acknowledgement), and its context travels in the message's W3C `traceparent` header.
 */
export function tracedBatchedPublisher(publisher: MessagePublisher, topic: string): MessagePublisher {
  return {
    publish(message) {
      const attributes: Attributes = { ...sendAttributes(topic), 'ledger.batched': true };
      if (message.key) attributes['messaging.kafka.message.key'] = String(message.key);
      const span = tracer().startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes });
      const headers = { ...message.headers };
      propagation.inject(trace.setSpan(context.active(), span), headers);
      return endWith(
        span,
        context.with(DETACHED, () => publisher.publish({ ...message, headers })),
      );
    },
    drain: () => context.with(DETACHED, () => publisher.drain()),
  };
}

/**
 * See Tracing.relayedSend. A message's span is a child of the context stored with its event (the
 * command's commit span), so the events of a transfer appear in the transfer's trace.
 */
export async function tracedRelayedSend<T>(
  messages: readonly RelayedMessage[],
  send: () => Promise<T>,
): Promise<T> {
  const spans: Span[] = [];
  for (const message of messages) {
    if (!message.traceparent) continue;
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: message.traceparent });
    if (!trace.getSpanContext(parent)) continue;
    const span = tracer().startSpan(
      `send ${message.topic}`,
      { kind: SpanKind.PRODUCER, attributes: { ...sendAttributes(message.topic), 'ledger.outbox': true } },
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), message.headers);
    spans.push(span);
  }
  try {
    return await context.with(DETACHED, send);
  } catch (error) {
    for (const span of spans) failed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
