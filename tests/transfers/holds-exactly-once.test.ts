import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';
import { commandEnvelope } from '../support/kafka-messages';

/** The value `read` gives once `ok` holds of it; the ledger does these things without a client waiting. */
const readUntil = <T>(read: () => Promise<T>, ok: (value: T) => boolean, timeout_ms = 20_000): Promise<T> =>
  eventually(
    async () => {
      const value = await read();
      return ok(value) ? { value } : undefined;
    },
    timeout_ms,
    50,
  ).then((found) => found.value);

describe('holds exactly once: redeliveries, races with the expiry, a processor restarted around it', () => {
  let system: System;
  let producer: Producer;
  beforeAll(async () => {
    // Expiries are looked for every 100 ms and published again after 300 ms while a hold stays open.
    system = await startSystem({ HOLD_EXPIRY_INTERVAL_MS: '100', HOLD_EXPIRY_AGAIN_AFTER_MS: '300' });
    producer = await system.directProducer();
  });
  afterAll(async () => {
    await system.stop();
  });

  const followUps = async (holdId: string) =>
    (
      await system.pool.query<{ kind: string; status: string; reason: string | null }>(
        // Follow-ups decided in one transaction share created_at: the kind breaks the tie.
        'SELECT kind, status, reason FROM transfers WHERE hold_id = $1 ORDER BY created_at, kind',
        [holdId],
      )
    ).rows;
  const holdRow = async (holdId: string) =>
    (
      await system.pool.query<{ status: string; captured_amount: string | null; resolved_by: string | null }>(
        'SELECT status, captured_amount::text, resolved_by FROM transfers WHERE id = $1',
        [holdId],
      )
    ).rows[0]!;

  it('changes nothing when a hold, its capture and its void are delivered again from Kafka', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const holdKey = `hold-${randomUUID()}`;
    const hold = {
      tenant_id: tenantId,
      idempotency_key: holdKey,
      source_account_id: from,
      destination_account_id: to,
      amount: '300',
      currency: 'USD',
      capture: 'manual',
    };
    await producer.send({
      topic: system.topics.commands,
      messages: [1, 2].map(() => ({ key: from, value: commandEnvelope('transfer.requested', hold) })),
    });
    const found = await readUntil(
      () => api.get(`/v1/transfers?account_id=${from}&status=held`),
      (r) => r.body.data.length === 1,
    );
    const holdId: string = found.body.data[0].id;
    const capture = {
      tenant_id: tenantId,
      idempotency_key: `cap-${randomUUID()}`,
      hold_id: holdId,
      amount: '120',
    };
    const voiding = { tenant_id: tenantId, idempotency_key: `void-${randomUUID()}`, hold_id: holdId };
    // The capture twice, the void (second: rejected), then all three again, and the hold again.
    const messages = [
      commandEnvelope('transfer.capture', capture),
      commandEnvelope('transfer.capture', capture),
      commandEnvelope('transfer.void', voiding),
      commandEnvelope('transfer.capture', capture),
      commandEnvelope('transfer.void', voiding),
      commandEnvelope('transfer.requested', hold),
    ].map((value) => ({ key: from, value }));
    await producer.send({ topic: system.topics.commands, messages: messages.slice(0, 3) });
    await readUntil(
      () => followUps(holdId),
      (rows) => rows.length === 2 && rows.every((r) => r.status !== 'pending'),
    );
    await producer.send({ topic: system.topics.commands, messages: messages.slice(3) });
    // A marker command after the redeliveries on the same partition: once it is decided, so are they.
    const marker = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(api, marker.body.id);

    expect(await followUps(holdId)).toEqual([
      { kind: 'capture', status: 'committed', reason: null },
      { kind: 'void', status: 'rejected', reason: 'hold_not_open' },
    ]);
    expect(await holdRow(holdId)).toMatchObject({ status: 'captured', captured_amount: '120' });
    expect((await api.get(`/v1/accounts/${from}`)).body).toMatchObject({ balance: '879', held: '0' });
    expect((await api.get(`/v1/accounts/${to}`)).body).toMatchObject({ balance: '121', held: '0' });
    expect(await ledgerViolations(system.pool, [from, to])).toEqual([]);
  });

  it('answers 404 to a void of a Kafka hold rejected for an amount beyond BIGINT (it never was a hold)', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 10);
    const key = `huge-${randomUUID()}`;
    const hold = {
      tenant_id: tenantId,
      idempotency_key: key,
      kind: 'withdrawal',
      source_account_id: from,
      amount: '9999999999999999999',
      currency: 'USD',
      capture: 'manual',
    };
    await producer.send({
      topic: system.topics.commands,
      messages: [{ key: from, value: commandEnvelope('transfer.requested', hold) }],
    });
    const rejected = await readUntil(
      () => api.get(`/v1/transfers?account_id=${from}&status=rejected`),
      (r) => r.body.data.length === 1,
    );
    expect(rejected.body.data[0]).toMatchObject({
      capture: 'manual',
      reason: { code: 'amount_out_of_range' },
    });
    const voiding = await api.post(`/v1/transfers/${rejected.body.data[0].id}/void`, undefined, idem());
    expect(voiding.status).toBe(404);
  });

  it('expires a hold once however many expiries arrive, and ignores an expiry before expires_at', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const notDue = await settled(
      api,
      (
        await api.post(
          '/v1/transfers',
          { kind: 'withdrawal', source_account_id: from, amount: 10, currency: 'USD', capture: 'manual' },
          idem(),
        )
      ).body.id,
    );
    const expire = (holdId: string) => ({
      key: from,
      value: commandEnvelope('transfer.expire', { tenant_id: tenantId, hold_id: holdId }),
    });
    await producer.send({ topic: system.topics.commands, messages: [expire(notDue.id), expire(notDue.id)] });

    const expiresAt = new Date(Date.now() + 800).toISOString();
    const due = await settled(
      api,
      (
        await api.post(
          '/v1/transfers',
          {
            kind: 'withdrawal',
            source_account_id: from,
            amount: 20,
            currency: 'USD',
            capture: 'manual',
            expires_at: expiresAt,
          },
          idem(),
        )
      ).body.id,
    );
    await readUntil(
      () => holdRow(due.id),
      (h) => h.status === 'expired',
    );
    await producer.send({
      topic: system.topics.commands,
      messages: [expire(due.id), expire(due.id), expire(due.id)],
    });
    const marker = await api.post(
      '/v1/transfers',
      { kind: 'withdrawal', source_account_id: from, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(api, marker.body.id);

    expect(await followUps(due.id)).toEqual([{ kind: 'expire', status: 'committed', reason: null }]);
    expect(await followUps(notDue.id)).toEqual([]);
    expect((await holdRow(notDue.id)).status).toBe('held');
    expect((await api.get(`/v1/accounts/${from}`)).body).toMatchObject({ balance: '99', held: '10' });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  });

  it('resolves captures racing the expiry one way each: decided before expires_at captured, sent after it expired and rejected hold_not_open', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 10_000);
    const to = await fundedAccount(api, 'USD', 0);
    const expiresAt = Date.now() + 3_000;
    const holds = await Promise.all(
      Array.from({ length: 12 }, () =>
        api.post(
          '/v1/transfers',
          {
            source_account_id: from,
            destination_account_id: to,
            amount: 100,
            currency: 'USD',
            capture: 'manual',
            expires_at: new Date(expiresAt).toISOString(),
          },
          idem(),
        ),
      ),
    );
    await Promise.all(holds.map((h) => settled(api, h.body.id)));
    // Each side is forced at least once: the first capture is decided while there is time left
    // (awaited before the others), the rest are sent 40 ms apart across the expiry, the last ones
    // after it: a capture decided at or after expires_at loses to the expiry whether or not the
    // sweeper's command has reached the partition yet.
    const captures: Array<{ sent_ms: number; id: string }> = [];
    const capture = async (holdId: string) => {
      const sent_ms = Date.now();
      captures.push({ sent_ms, id: (await api.post(`/v1/transfers/${holdId}/capture`, {}, idem())).body.id });
    };
    await capture(holds[0]!.body.id);
    await settled(api, captures[0]!.id);
    await readUntil(
      async () => Date.now(),
      (now) => now >= expiresAt - 240,
    );
    for (const h of holds.slice(1)) {
      await capture(h.body.id);
      await new Promise((r) => setTimeout(r, 40));
    }
    const outcomes = await Promise.all(captures.map((c) => settled(api, c.id)));
    const sides = { captured: 0, expired: 0 };
    for (const [i, h] of holds.entries()) {
      const hold = await readUntil(
        () => holdRow(h.body.id),
        (x) => x.status !== 'held',
      );
      const rows = await followUps(h.body.id);
      expect(rows.filter((r) => r.status === 'committed')).toHaveLength(1);
      const outcome = outcomes[i]!;
      if (outcome.status === 'committed') {
        sides.captured++;
        expect(hold.status).toBe('captured');
        expect(rows.some((r) => r.kind === 'expire')).toBe(false);
        expect(Date.parse(outcome.finalized_at)).toBeLessThan(expiresAt);
      } else {
        sides.expired++;
        expect(outcome.reason.code).toBe('hold_not_open');
        expect(hold.status).toBe('expired');
      }
      // Decided before expires_at: in time; sent at or after it: too late, whatever the sweeper did.
      if (Date.parse(outcome.finalized_at) < expiresAt) expect(outcome.status).toBe('committed');
      if (captures[i]!.sent_ms >= expiresAt) expect(outcome.status).toBe('rejected');
    }
    expect(captures[0]!.sent_ms).toBeLessThan(expiresAt);
    expect(captures.at(-1)!.sent_ms).toBeGreaterThanOrEqual(expiresAt);
    expect(sides.captured).toBeGreaterThanOrEqual(1);
    expect(sides.expired).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe(String(sides.captured * 100));
    expect((await api.get(`/v1/accounts/${from}`)).body.held).toBe('0');
    expect(await ledgerViolations(system.pool, [from, to])).toEqual([]);
  });

  it('still expires every hold exactly once when the processor is stopped and restarted around the expiry', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const expiresAt = new Date(Date.now() + 700).toISOString();
    const holds = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.post(
          '/v1/transfers',
          {
            kind: 'withdrawal',
            source_account_id: from,
            amount: 50,
            currency: 'USD',
            capture: 'manual',
            expires_at: expiresAt,
          },
          idem(),
        ),
      ),
    );
    const ids: string[] = holds.map((h) => h.body.id);
    await Promise.all(ids.map((id) => settled(api, id)));
    // The sweeper has claimed (and is publishing, or has published) the expiries: stop it there.
    await readUntil(
      async () =>
        (
          await system.pool.query(
            'SELECT 1 FROM transfers WHERE id = ANY($1::uuid[]) AND expiry_requested_at IS NOT NULL',
            [ids],
          )
        ).rowCount,
      (n) => (n ?? 0) > 0,
    );
    await system.restartProcessor();

    for (const id of ids)
      await readUntil(
        () => holdRow(id),
        (h) => h.status === 'expired',
      );
    for (const id of ids)
      expect(await followUps(id)).toEqual([{ kind: 'expire', status: 'committed', reason: null }]);
    expect((await api.get(`/v1/accounts/${from}`)).body).toMatchObject({ balance: '1000', held: '0' });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  });
});
