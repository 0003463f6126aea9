import { randomUUID } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import openapi from '../../contracts/generated/openapi.json';
import { HTTP_ERRORS } from '../../contracts/src';
import { newTenant } from '../support/client';
import { rawExchange, rawRequest, type RawReply } from '../support/raw-http';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

/**
 * Fuzzing of the HTTP API (issue 9): every route of the OpenAPI document (public, protected with a
 * real API key, admin with the operator token) receives hostile path ids, query values, headers,
 * bodies, content types, encodings and methods. Whatever comes in, the answer is never a 5xx, and
 * every error is the common body with a stable code and the request id. Bounded: a few hundred
 * requests, a fixed seed per run printed by fast-check on failure.
 */

type Access = 'public' | 'key' | 'admin';
interface Operation {
  method: string;
  /** OpenAPI template, e.g. /v1/accounts/{id}. */
  path: string;
  access: Access;
  query: string[];
  /** Top-level body properties, when the operation takes a JSON body. */
  body: string[] | undefined;
}

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string }>;
  security?: Array<Record<string, unknown>>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
}
const doc = openapi as unknown as {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

function bodyProperties(op: OpenApiOperation): string[] | undefined {
  const ref = op.requestBody?.content['application/json']?.schema.$ref;
  if (!ref) return undefined;
  return Object.keys(doc.components.schemas[ref.split('/').pop()!]?.properties ?? {});
}

/** Every operation of the document, and the few routes it does not describe. */
const OPERATIONS: Operation[] = [
  ...Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: (op.security?.length === 0
        ? 'public'
        : op.security?.some((s) => 'adminToken' in s)
          ? 'admin'
          : 'key') as Access,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: bodyProperties(op),
    })),
  ),
  { method: 'GET', path: '/health', access: 'public', query: [], body: undefined },
  { method: 'GET', path: '/openapi.json', access: 'public', query: [], body: undefined },
];

// ---- hostile values -------------------------------------------------------------------------

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\ud83d',
  '😀',
  '\u202eevil',
  '\ufeff',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'Ω≈ç√∫',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  '9'.repeat(30),
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '\\',
  '"',
  '\r\n',
  'x'.repeat(600),
  'y'.repeat(70_000),
];

const DATES = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '2026-01-01T00:00:00+18:00',
  '2026-01-01T00:00:00-16:30',
  '2026-01-01T00:00:00+14:00',
  '2026-02-30T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:59:60Z',
  '9999-12-31T23:59:59.9999999Z',
  '10000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00Z',
  '2026-01-01',
  '2026-01-01T00:00:00',
  'yesterday',
  '1700000000',
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Well-formed RFC 3339 date-times over the whole grammar: years 0000-9999, offsets up to ±23:59. */
const rfc3339 = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.option(
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })),
    ),
  )
  .map(
    ([y, mo, d, h, mi, offset]) =>
      `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:00${offset ? `${offset[0]}${pad(offset[1])}:${pad(offset[2])}` : 'Z'}`,
  );

/**
 * Percent-encodes every code unit, a lone surrogate included (as the bytes UTF-8 forbids for it,
 * ED A0 80 and the like), where encodeURIComponent would throw.
 */
function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out +=
      cp >= 0xd800 && cp <= 0xdfff
        ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
            .map((b) => `%${b.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(ch);
  }
  return out;
}

const hostileDate = fc.oneof(fc.constantFrom(...DATES), rfc3339);

/** Any UTF-16 code unit, NUL and lone surrogates included. */
const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: anyCodeUnits },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: hostileDate },
);

/** JSON text, not values: so that `__proto__` stays an own key and lone surrogates stay escaped. */
const jsonScalar = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.constantFrom(
    '1e400',
    '-0',
    '0.5',
    '9007199254740993',
    '99999999999999999999999',
    '-1',
    'null',
    'true',
    'false',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);
const jsonKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''),
  hostileString,
);
const objectText = (entries: Array<[string, string]>) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const { json: jsonValue } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonScalar,
    fc.array(tie('json'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(jsonKey, tie('json')), { maxLength: 4 }).map(objectText),
  ),
}));

// ---- plausible values, so that requests get past the first check and reach deeper ones ----------

interface Fixtures {
  accountId: string;
  otherKeyId: string;
  endpointId: string;
}

function plausible(field: string, f: Fixtures): fc.Arbitrary<string> {
  const text = (v: unknown) => fc.constant(JSON.stringify(v));
  switch (field) {
    case 'name':
    case 'description':
      return fc.oneof(
        text('Acme'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }).map((t) => JSON.stringify(`n${t}`)),
        fc.constantFrom(...NASTY_STRINGS).map((t) => JSON.stringify(t)),
      );
    case 'email':
      return fc.constant(null).map(() => JSON.stringify(`${randomUUID()}@example.com`));
    case 'currency':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('"USD"', '"EUR"', '"JPY"') },
        { weight: 1, arbitrary: fc.constantFrom('"XXX"', '"usd"') },
      );
    case 'amount':
      return fc.constantFrom('1', '"1"', '"9223372036854775807"', '"9999999999999999999"', '0', '"00"');
    case 'kind':
      return fc.constantFrom('"transfer"', '"deposit"', '"withdrawal"');
    case 'source_account_id':
    case 'destination_account_id':
      return fc.constantFrom(JSON.stringify(f.accountId), JSON.stringify(randomUUID()));
    case 'url':
      return fc.constantFrom(
        '"https://receiver.example/h"',
        '"http://127.0.0.1:1/h"',
        '"https://u:p@x.example/"',
      );
    case 'event_types':
      return fc.constantFrom('["transfer.committed"]', '["account.debited","account.debited"]', '[]');
    case 'metadata':
      return fc
        .array(fc.tuple(fc.oneof(fc.constantFrom('order', '__proto__'), jsonKey), jsonScalar), {
          maxLength: 3,
        })
        .map(objectText);
    case 'status':
      return fc.constantFrom('"active"', '"frozen"', '"closed"');
    case 'since':
    case 'from':
    case 'to':
      return hostileDate.map((d) => JSON.stringify(d));
    case 'rate':
      return fc.constantFrom('"0.92"', '"0"', '"1e3"', '"999999999999.999999999999999999"');
    default:
      return jsonValue;
  }
}

const BAD_BODIES = [
  '{',
  '{"a":',
  '[]',
  'null',
  '"text"',
  '1',
  'tru',
  '{"a":1}}',
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"__proto__":{"polluted":true}}',
  '['.repeat(5_000) + ']'.repeat(5_000),
  '{"a":'.repeat(2_000) + '1' + '}'.repeat(2_000),
  `{"name":"${'x'.repeat(70_000)}"}`,
];

function bodyFor(op: Operation, f: Fixtures): fc.Arbitrary<string | Buffer | undefined> {
  // A body with no fields (a void) still gets some to refuse.
  const names = op.body?.length ? op.body : ['name', 'metadata'];
  const valid = fc.tuple(...names.map((name) => plausible(name, f)));
  // An unknown extra key now and then (`__proto__` among them): strict schemas refuse it.
  const extra = fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.tuple(jsonKey, jsonValue) },
  );
  const entries = (values: Array<string | undefined>, more: [string, string] | null) =>
    objectText([
      ...names.flatMap((name, i) =>
        values[i] === undefined ? [] : [[name, values[i]!] as [string, string]],
      ),
      ...(more ? [more] : []),
    ]);
  const oddValue = fc.oneof(
    { weight: 3, arbitrary: hostileString.map((t) => JSON.stringify(t)) },
    { weight: 1, arbitrary: jsonValue },
  );
  // Mostly one field hostile among plausible ones, so that the others pass and the request goes
  // as deep as it can (down to the database) with the one odd value.
  const oneOdd = fc
    .tuple(valid, fc.nat(names.length - 1), fc.option(oddValue, { freq: 6 }), extra)
    .map(([values, at, odd, more]) =>
      entries(
        values.map((v, i) => (i === at ? (odd ?? undefined) : v)),
        more,
      ),
    );
  const allOdd = fc.tuple(fc.tuple(...names.map(() => fc.option(jsonValue))), extra).map(([values, more]) =>
    entries(
      values.map((v) => v ?? undefined),
      more,
    ),
  );
  return fc.oneof(
    { weight: op.body ? 3 : 0, arbitrary: valid.map((values) => entries(values, null)) },
    { weight: op.body ? 6 : 1, arbitrary: oneOdd },
    { weight: 2, arbitrary: allOdd },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_BODIES) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: op.body ? 1 : 4, arbitrary: fc.constant(undefined) },
  );
}

const pathId = (real: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        randomUUID(),
        '00000000-0000-0000-0000-000000000000',
        randomUUID().toUpperCase(),
        'not-a-uuid',
        '%00',
        '%E0%A4%A',
        '%F0%9F%98%80',
        '%ED%A0%80',
        '..',
        '%2F',
        '__proto__',
        '-1',
        'x'.repeat(300),
        'USD',
        'usd',
      ),
    },
    { weight: 1, arbitrary: anyCodeUnits.map((s) => percentEncode(s) || 'x') },
  );

function pathFor(op: Operation, f: Fixtures): fc.Arbitrary<string> {
  const real = op.path.startsWith('/v1/accounts')
    ? [f.accountId]
    : op.path.startsWith('/v1/api-keys')
      ? [f.otherKeyId]
      : op.path.startsWith('/v1/webhook-endpoints')
        ? [f.endpointId]
        : // Transfers and deliveries: ids that do not exist, so that `?wait=` never holds a request.
          [randomUUID()];
  const currencies = ['USD', 'EUR', 'JPY'];
  const params = op.path.match(/\{\w+\}/g) ?? [];
  return fc
    .tuple(...params.map((p) => (p === '{id}' ? pathId(real) : pathId(currencies))))
    .map((values) => params.reduce((path, p, i) => path.replace(p, values[i]!), op.path));
}

function queryFor(op: Operation): fc.Arbitrary<string> {
  const value = fc.oneof(
    hostileString,
    hostileDate,
    fc.constantFrom('1', '100', '101', '0', '-5', '1e1', '0x10', ' 5', 'committed', 'EUR', randomUUID()),
  );
  const names = [...op.query, 'unknown', '__proto__'];
  return fc
    .array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${percentEncode(v)}`).join('&')}` : ''));
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset',
  'application/json;;;',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '*/*',
  'garbage',
];

const ENCODE = {
  gzip: gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
  zstd: zstdCompressSync,
} as const;

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'SEARCH',
  'PROPFIND',
  'LOCK',
];

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | string | undefined;
}

function probeFor(op: Operation, f: Fixtures, credentials: Record<Access, string>): fc.Arbitrary<Probe> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: pathFor(op, f),
      query: queryFor(op),
      body: bodyFor(op, f),
      contentType: fc.oneof(
        { weight: 5, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      encoding: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom('gzip', 'deflate', 'br', 'zstd'), fc.boolean()),
        },
        { weight: 1, arbitrary: fc.constantFrom('identity', 'GZIP', 'gzip, br', 'x-unknown', '') },
      ),
      auth: fc.oneof(
        { weight: 8, arbitrary: fc.constant(credentials[op.access]) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            ...Object.values(credentials),
            '',
            'Bearer',
            'Bearer sk_live_x',
            'Basic Zm9vOmJhcg==',
          ),
        },
      ),
      idempotencyKey: fc.oneof(
        { weight: 4, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(300), 'é') },
      ),
    })
    .map((p) => {
      let body: Buffer | string | undefined = p.body;
      const headers: Record<string, string> = { 'x-request-id': `fuzz-${randomUUID()}` };
      if (p.auth) headers.authorization = p.auth;
      // Submissions, captures and voids: each takes an Idempotency-Key.
      if (op.path.startsWith('/v1/transfers') && op.method === 'POST')
        headers['idempotency-key'] = p.idempotencyKey;
      if (body !== undefined) {
        headers['content-type'] = p.contentType;
        if (typeof p.encoding === 'string') headers['content-encoding'] = p.encoding;
        else if (p.encoding) {
          const [name, valid] = p.encoding;
          headers['content-encoding'] = name;
          body = valid ? ENCODE[name](Buffer.from(body)) : Buffer.from(`not ${name} at all`);
        }
      }
      return { method: p.method, path: p.path + p.query, headers, body };
    });
}

// ---- the assertion ------------------------------------------------------------------------------

const KNOWN_CODES = new Set(Object.keys(HTTP_ERRORS));

/** Never a 5xx; every error in the common body, with a known code and the request's id. */
function checkReply(probe: Pick<Probe, 'method'>, reply: RawReply): void {
  const where = `${reply.status} ${reply.text.slice(0, 300)}`;
  if (reply.status >= 500 || reply.status < 100) throw new Error(`answered ${where}`);
  if (reply.status < 400 || probe.method === 'HEAD') return;
  const error = reply.json?.error;
  if (!(reply.headers.get('content-type') ?? '').startsWith('application/json'))
    throw new Error(`error without a JSON body: ${where}`);
  if (!error || !KNOWN_CODES.has(error.code ?? '') || typeof error.message !== 'string')
    throw new Error(`error without the common body: ${where}`);
  if (!error.request_id || error.request_id !== reply.headers.get('x-request-id'))
    throw new Error(`error whose request_id is not X-Request-Id: ${where}`);
}

describe('fuzzing the HTTP API: hostile input never answers a 5xx', () => {
  let system: System;
  let fixtures: Fixtures;
  let credentials: Record<Access, string>;
  beforeAll(async () => {
    system = await startSystem();
    const { api, key } = await newTenant(system.url);
    const otherKey = await api.post('/v1/api-keys', { name: 'to be revoked' });
    const account = await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD' });
    const endpoint = await api.post('/v1/webhook-endpoints', {
      url: 'https://receiver.example/hooks',
      event_types: ['transfer.committed'],
    });
    fixtures = { accountId: account.body.id, otherKeyId: otherKey.body.id, endpointId: endpoint.body.id };
    credentials = { public: '', key: `Bearer ${key}`, admin: `Bearer ${ADMIN_TOKEN}` };
  });
  afterAll(async () => {
    await system.stop();
  });

  it('the routes fuzzed are every route the router has, method for method', async () => {
    const byPath = new Map<string, Set<string>>();
    const id = randomUUID();
    for (const op of OPERATIONS) {
      const path = op.path.replace('{id}', id).replace('{base}', 'USD').replace('{quote}', 'EUR');
      byPath.set(path, (byPath.get(path) ?? new Set()).add(op.method));
    }

    const allowed = await Promise.all(
      [...byPath.keys()].map(async (path) =>
        (await rawRequest(system.url + path, { method: 'OPTIONS' })).headers.get('allow'),
      ),
    );

    expect(allowed).toEqual(
      [...byPath.values()].map((methods) =>
        [...new Set([...methods, 'OPTIONS', ...(methods.has('GET') ? ['HEAD'] : [])])].sort().join(', '),
      ),
    );
  });

  it('every route, every kind of hostile input: no 5xx, every error in the common body', async () => {
    const probes = fc.constantFrom(...OPERATIONS).chain((op) => probeFor(op, fixtures, credentials));

    await fc.assert(
      fc.asyncProperty(probes, async (probe) => {
        checkReply(probe, await rawRequest(system.url + probe.path, probe));
      }),
      { numRuns: 350, endOnFailure: true },
    );
  }, 60_000);

  it('requests HTTP itself cannot parse: no 5xx, every error in the common body', async () => {
    const { host } = new URL(system.url);
    const line = fc.record({
      method: fc.constantFrom('GET', 'POST', 'FOO', 'G ET', '', 'TRACE', 'CONNECTX'),
      target: fc.oneof(
        fc.constantFrom(
          '/v1/accounts',
          '*',
          'http://evil.example/',
          '/v1/accounts?\u0000',
          '/%',
          '/v1/../../etc',
          'no-slash',
        ),
        anyCodeUnits.map((s) => `/${s}`),
      ),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1', ''),
      headers: fc.array(
        fc.constantFrom(
          'Content-Length: -1',
          'Content-Length: 1, 2',
          'Transfer-Encoding: chunked, identity',
          'Bad Header: x',
          ': empty-name',
          'X-Nul: a\u0000b',
          `X-Huge: ${'h'.repeat(20_000)}`,
          'Content-Type: application/json',
        ),
        { maxLength: 3 },
      ),
    });

    await fc.assert(
      fc.asyncProperty(line, async (l) => {
        const head = [
          `${l.method} ${l.target} ${l.version}`.trim(),
          `Host: ${host}`,
          ...l.headers,
          'Connection: close',
        ];
        const reply = await rawExchange(system.url, `${head.join('\r\n')}\r\n\r\n`);
        checkReply({ method: l.method }, reply);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  }, 30_000);
});
