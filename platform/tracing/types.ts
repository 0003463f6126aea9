// Only types here: imported by the tracing modules and by the services alike, with no cycle.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../logger';

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
  traceparent?: string | undefined;
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
