import fc from 'fast-check';
import type { z } from 'zod';
import { CreateAccountRequest, UpdateAccountRequest } from './accounts';
import { CreateApiKeyRequest } from './api-keys';
import { TransferCommandPayloadV1 } from './commands';
import { Metadata, TimestampInput } from './primitives';
import { CreateTenantRequest } from './tenants';
import { CreateTransferRequest } from './transfers';
import {
  CreateWebhookEndpointRequest,
  RecoverWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
} from './webhooks';

const ID = '018f0000-0000-7000-8000-000000000000';

/** A valid example of every request that stores text, with every optional text field present. */
const EXAMPLES: Array<[string, z.ZodType, Record<string, unknown>]> = [
  ['CreateTenantRequest', CreateTenantRequest, { name: 'Acme', email: 'ops@acme.test' }],
  ['CreateAccountRequest', CreateAccountRequest, { name: 'Main', currency: 'USD', metadata: { k: 'v' } }],
  ['UpdateAccountRequest', UpdateAccountRequest, { name: 'Main', metadata: { k: 'v' } }],
  ['CreateApiKeyRequest', CreateApiKeyRequest, { name: 'ci' }],
  [
    'CreateTransferRequest',
    CreateTransferRequest,
    {
      kind: 'deposit',
      destination_account_id: ID,
      amount: 1,
      currency: 'USD',
      description: 'd',
      metadata: { k: 'v' },
    },
  ],
  [
    'TransferCommandPayloadV1',
    TransferCommandPayloadV1,
    {
      tenant_id: ID,
      idempotency_key: 'k',
      kind: 'deposit',
      destination_account_id: ID,
      amount: '1',
      currency: 'USD',
      description: 'd',
      metadata: { k: 'v' },
    },
  ],
  [
    'CreateWebhookEndpointRequest',
    CreateWebhookEndpointRequest,
    { url: 'https://r.example/h', event_types: ['transfer.committed'], description: 'd' },
  ],
  [
    'UpdateWebhookEndpointRequest',
    UpdateWebhookEndpointRequest,
    { url: 'https://r.example/h', description: 'd' },
  ],
];

/** Every string in the example, by path, metadata keys included (as the key's own path). */
function textFields(value: unknown, path: string[] = []): Array<{ path: string[]; key: boolean }> {
  if (typeof value === 'string') return [{ path, key: false }];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(path.at(-1) === 'metadata' ? [{ path: [...path, k], key: true }] : []),
    ...textFields(v, [...path, k]),
  ]);
}

/** The example with the string at `path` (or the metadata key named there) given `insert` in its middle. */
function tampered(example: Record<string, unknown>, field: { path: string[]; key: boolean }, insert: string) {
  const copy = structuredClone(example);
  const parent = field.path
    .slice(0, -1)
    .reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
  const last = field.path.at(-1)!;
  const spoil = (s: string) => s.slice(0, 1) + insert + s.slice(1);
  if (field.key) {
    parent[spoil(last)] = parent[last];
    delete parent[last];
    return { input: copy, path: [...field.path.slice(0, -1), spoil(last)] };
  }
  parent[last] = spoil(parent[last] as string);
  return { input: copy, path: field.path };
}

describe('the text the ledger stores, decided once in the contracts', () => {
  it.each(EXAMPLES)('the %s example is valid as it stands', (_name, schema, example) => {
    expect(schema.safeParse(example).error?.issues).toBeUndefined();
  });

  describe.each(EXAMPLES)('%s', (_name, schema, example) => {
    const fields = textFields(example).filter(
      (f) => !['currency', 'kind', 'event_types'].includes(f.path[0]!),
    );
    const cases = fields.flatMap((f) =>
      [
        ['a NUL', '\u0000'],
        ['a lone high surrogate', '\ud800'],
        ['a lone low surrogate', '\udfff'],
      ].map(([what, insert]) => [`${f.key ? 'key ' : ''}${f.path.join('.')}`, what!, f, insert!] as const),
    );

    it.each(cases)('refuses %s with %s, naming it', (_field, _what, field, insert) => {
      const { input, path } = tampered(example, field, insert);

      const result = schema.safeParse(input);

      expect(result.success).toBe(false);
      // A field the schema checks with its own pattern (email, ids) refuses it with its own code.
      expect(result.error!.issues.map((i) => i.path.map(String))).toContainEqual(path);
    });
  });

  it('keeps any well-formed text: every string without U+0000 or a lone surrogate is storable', () => {
    const text = (max: number) =>
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 10 })
        .filter((s) => !s.includes('\u0000') && s.length <= max);
    fc.assert(
      // `__proto__` is the one key refused on purpose (primitives.ts RESERVED_KEYS), not for its text.
      fc.property(
        text(40).filter((k) => k !== '__proto__'),
        text(500),
        text(199),
        (key, value, name) => {
          expect(Metadata.safeParse({ [key]: value }).error?.issues).toBeUndefined();
          expect(
            CreateAccountRequest.safeParse({ name: `n${name}`, currency: 'EUR' }).error?.issues,
          ).toBeUndefined();
        },
      ),
    );
  });

  it('refuses a __proto__ metadata key by name rather than dropping it', () => {
    const result = Metadata.safeParse(JSON.parse('{"__proto__":"x","a":"b"}'));

    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['__proto__'], params: { code: 'reserved_key' } }),
    ]);
  });
});

describe('client date-times are bounded to what PostgreSQL holds', () => {
  it.each([
    ['0000-01-01T00:00:00Z', 'date_out_of_range'],
    ['0001-01-01T00:59:59+01:00', 'date_out_of_range'],
    ['2026-01-01T00:00:00+14:01', 'offset_out_of_range'],
    ['2026-01-01T00:00:00-16:30', 'offset_out_of_range'],
    ['2026-01-01T00:00:00+18:00', 'offset_out_of_range'],
  ])('refuses %s (%s)', (value, code) => {
    expect(TimestampInput.safeParse(value).error?.issues).toEqual([
      expect.objectContaining({ params: { code } }),
    ]);
    expect(RecoverWebhookEndpointRequest.safeParse({ since: value }).success).toBe(false);
  });

  it.each([
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999Z',
    '2026-01-01T00:00:00+14:00',
    '2026-01-01T00:00:00-14:00',
  ])('accepts %s', (value) => {
    expect(TimestampInput.safeParse(value).success).toBe(true);
  });

  it('accepts every RFC 3339 instant from 0001 to 9999 with an offset within ±14:00', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-02T00:00:00Z'),
          max: new Date('9999-12-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(TimestampInput.safeParse(local + offset).success).toBe(true);
        },
      ),
    );
  });
});
