import type { LedgerEventV1 } from '../../../contracts/src';

/** PostgreSQL channel notified when a batch's outbox row commits; the relay leader listens. */
export const OUTBOX_CHANNEL = 'ledger_outbox';

/** One event bound for Kafka: its key (ordering), type and id (headers), and JSON value. */
export interface OutboxEvent {
  key: string;
  type: string;
  id: string;
  value: string;
}

/**
 * A batch's events as one text value, one line per event: "key\ttype\tid\tjson". JSON.stringify
 * escapes every control character inside strings, so neither a tab nor a newline can occur in
 * the JSON; keys are account ids and types/ids come from the contract.
 */
export function encodeOutboxLines(events: Array<{ key: string; event: LedgerEventV1 }>): string {
  return events
    .map(({ key, event }) => `${key}\t${event.type}\t${event.id}\t${JSON.stringify(event)}`)
    .join('\n');
}

/** Inverse of encodeOutboxLines; splits without parsing the JSON. */
export function decodeOutboxLines(text: string): OutboxEvent[] {
  return text.split('\n').map((line) => {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const c = line.indexOf('\t', b + 1);
    if (a < 0 || b < 0 || c < 0) throw new Error(`malformed outbox line: ${line.slice(0, 120)}`);
    return {
      key: line.slice(0, a),
      type: line.slice(a + 1, b),
      id: line.slice(b + 1, c),
      value: line.slice(c + 1),
    };
  });
}
