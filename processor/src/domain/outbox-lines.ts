import type { LedgerEventV1 } from '../../../contracts/src';

/** PostgreSQL channel notified when a batch's outbox row commits; the relay leader listens. */
export const OUTBOX_CHANNEL = 'ledger_outbox';

/** One event bound for Kafka: its key (ordering), type and id (headers), and JSON value. */
export interface OutboxEvent {
  key: string;
  type: string;
  id: string;
  /** W3C traceparent of the trace the event continues, when it was written with tracing on. */
  traceparent?: string;
  value: string;
}

/**
 * A batch's events as one text value, one line per event: "key\ttype\tid\ttraceparent\tjson"
 * (traceparent empty when tracing is off). JSON.stringify escapes every control character inside
 * strings, so neither a tab nor a newline can occur in the JSON; keys are account ids, types and
 * ids come from the contract and a traceparent is hex and dashes.
 */
export function encodeOutboxLines(
  events: Array<{ key: string; event: LedgerEventV1; traceparent?: string }>,
): string {
  return events
    .map(
      ({ key, event, traceparent }) =>
        `${key}\t${event.type}\t${event.id}\t${traceparent ?? ''}\t${JSON.stringify(event)}`,
    )
    .join('\n');
}

/**
 * Inverse of encodeOutboxLines; splits without parsing the JSON. Also reads the lines of
 * versions before the traceparent field ("key\ttype\tid\tjson"), which a relay may find in the
 * outbox after an upgrade: there the fourth field is the JSON itself.
 */
export function decodeOutboxLines(text: string): OutboxEvent[] {
  return text.split('\n').map((line) => {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const c = line.indexOf('\t', b + 1);
    if (a < 0 || b < 0 || c < 0) throw new Error(`malformed outbox line: ${line.slice(0, 120)}`);
    const event = { key: line.slice(0, a), type: line.slice(a + 1, b), id: line.slice(b + 1, c) };
    if (line[c + 1] === '{') return { ...event, value: line.slice(c + 1) };
    const d = line.indexOf('\t', c + 1);
    if (d < 0) throw new Error(`malformed outbox line: ${line.slice(0, 120)}`);
    const traceparent = line.slice(c + 1, d);
    return { ...event, ...(traceparent ? { traceparent } : {}), value: line.slice(d + 1) };
  });
}
