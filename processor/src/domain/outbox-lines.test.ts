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

  it('carries the trace context an event continues, and none when it has none', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const [traced, untraced] = decodeOutboxLines(
      encodeOutboxLines([
        { key: 'a', event: credited('x'), traceparent },
        { key: 'b', event: credited('y') },
      ]),
    );
    expect(traced).toMatchObject({ key: 'a', traceparent });
    expect(JSON.parse(traced!.value)).toEqual(credited('x'));
    expect(untraced).not.toHaveProperty('traceparent');
    expect(JSON.parse(untraced!.value)).toEqual(credited('y'));
  });

  it('reads lines written before the trace context field (key, type, id, JSON), left in the outbox by an upgrade', () => {
    const event = credited('a\tb');
    const [decoded] = decodeOutboxLines(`k\t${event.type}\t${event.id}\t${JSON.stringify(event)}`);
    expect(decoded).toEqual({ key: 'k', type: event.type, id: event.id, value: JSON.stringify(event) });
  });

  it('refuses a line that is not key, type, id, trace context and JSON', () => {
    expect(() => decodeOutboxLines('just text')).toThrow(/malformed outbox line/);
    expect(() => decodeOutboxLines('k\tt\ti\tno json')).toThrow(/malformed outbox line/);
  });
});
