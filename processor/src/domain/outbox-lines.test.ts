import fc from 'fast-check';
import type { LedgerEventV1 } from '../../../contracts/src';
import { decodeOutboxLines, encodeOutboxLines } from './outbox-lines';

const credited = (description: string): LedgerEventV1 =>
  ({
    id: '01900000-0000-7000-8000-000000000001',
    version: 1,
    type: 'account.credited',
    occurred_at: '2026-11-24T00:00:00.000Z',
    tenant_id: '01900000-0000-7000-8000-000000000002',
    payload: { description },
  }) as unknown as LedgerEventV1;

describe('outbox lines', () => {
  it('round-trips any event text, tabs and newlines inside strings included, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uuid(), fc.string()), { minLength: 1, maxLength: 20 }), (items) => {
        const events = items.map(([key, text]) => ({ key, event: credited(text) }));
        const decoded = decodeOutboxLines(encodeOutboxLines(events));
        expect(decoded).toEqual(
          events.map(({ key, event }) => ({
            key,
            type: event.type,
            id: event.id,
            value: JSON.stringify(event),
          })),
        );
        expect(decoded.map((d) => JSON.parse(d.value))).toEqual(events.map((e) => e.event));
      }),
    );
  });

  it('refuses a line that is not key, type, id and JSON', () => {
    expect(() => decodeOutboxLines('just text')).toThrow(/malformed outbox line/);
  });
});
