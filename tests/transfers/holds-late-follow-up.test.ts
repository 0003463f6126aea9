import { LedgerEventV1 } from '../../contracts/src';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { collect, commandEnvelope } from '../support/kafka-messages';
import { startSystem, type System } from '../support/system';

/** Resolves once the clock has passed `instant_ms` (the condition awaited is time itself). */
const past = (instant_ms: number) =>
  eventually(async () => Date.now() > instant_ms || undefined, 10_000, 20, 'expires_at to pass');

describe('a capture or void that comes after expires_at, before the sweeper', () => {
  let system: System;
  beforeAll(async () => {
    // This file's sweeper looks once at start-up, then not for a minute: no expiry of its comes
    // from it while the tests run.
    system = await startSystem({
      HOLD_EXPIRY_INTERVAL_MS: '60000',
      HOLD_EXPIRY_AGAIN_AFTER_MS: '3600000',
    });
  });
  afterAll(async () => {
    await system.stop();
  });

  /** An open hold from a funded account, due in about a second, that no sweeper will ask to expire. */
  async function lapsingHold(api: Client) {
    const from = await fundedAccount(api, 'USD', 500);
    const to = await fundedAccount(api, 'USD', 0);
    const expiresAt = Date.now() + 1_000;
    const held = await settled(
      api,
      (
        await api.post(
          '/v1/transfers',
          {
            source_account_id: from,
            destination_account_id: to,
            amount: 200,
            currency: 'USD',
            capture: 'manual',
            expires_at: new Date(expiresAt).toISOString(),
          },
          idem(),
        )
      ).body.id,
    );
    expect(held.status).toBe('held');
    // Test files share the database, and any processor's sweeper claims any due hold: stamp this
    // one as claimed a while ahead (as a sweeper whose send was lost would leave it), so that
    // none asks for its expiry before the follow-up is decided.
    await system.pool.query(
      `UPDATE transfers SET expiry_requested_at = expires_at + interval '1 minute' WHERE id = $1`,
      [held.id],
    );
    return { from, to, held, expiresAt };
  }

  it.each(['capture', 'void'] as const)(
    'a %s after expires_at expires the hold as the system would and is rejected hold_not_open; the sweeper coming later changes nothing',
    async (action) => {
      const events = await collect(system.kafka, system.topics.events);
      try {
        const { id: tenantId, api } = await newTenant(system.url);
        const { from, to, held, expiresAt } = await lapsingHold(api);
        await past(expiresAt);

        const key = idem();
        const body = action === 'capture' ? { amount: 150 } : undefined;
        const accepted = await api.post(`/v1/transfers/${held.id}/${action}`, body, key);
        expect(accepted.status).toBe(202);
        const late = await settled(api, accepted.body.id);
        expect(late).toMatchObject({ kind: action, status: 'rejected', reason: { code: 'hold_not_open' } });

        const hold = (await api.get(`/v1/transfers/${held.id}`)).body;
        expect(hold).toMatchObject({
          status: 'expired',
          hold: { held_amount: '200', captured_amount: '0', released_amount: '200' },
        });
        // Closed by the system's expiry, decided in the follow-up's own batch (not the sweeper's).
        const expiry = (await api.get(`/v1/transfers/${hold.hold.resolved_by}`)).body;
        expect(expiry).toMatchObject({ kind: 'expire', status: 'committed', hold_id: held.id, entries: [] });
        expect(expiry.finalized_at).toBe(late.finalized_at);
        expect(Date.parse(hold.hold.resolved_at)).toBeGreaterThanOrEqual(expiresAt);
        expect((await api.get(`/v1/accounts/${from}`)).body).toMatchObject({
          balance: '500',
          held: '0',
          available: '500',
        });
        expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('0');

        // The follow-up replays under its key as the rejection it was.
        const replay = await api.post(`/v1/transfers/${held.id}/${action}`, body, key);
        expect([replay.status, replay.headers.get('idempotency-replayed'), replay.body.id]).toEqual([
          202,
          'true',
          late.id,
        ]);

        // The sweeper's expiry, when it comes (twice, as after a lost send), finds the hold closed.
        const producer = await system.directProducer();
        const expire = {
          key: from,
          value: commandEnvelope('transfer.expire', { tenant_id: tenantId, hold_id: held.id }),
        };
        await producer.send({ topic: system.topics.commands, messages: [expire, expire] });
        // A transfer after them on the same partition: once it is decided, so are they.
        const marker = await api.post(
          '/v1/transfers',
          { kind: 'withdrawal', source_account_id: from, amount: 1, currency: 'USD' },
          idem(),
        );
        expect((await settled(api, marker.body.id)).status).toBe('committed');
        const followUps = await system.pool.query<{ kind: string; status: string }>(
          'SELECT kind, status FROM transfers WHERE hold_id = $1',
          [held.id],
        );
        expect(followUps.rows.map((r) => `${r.kind}:${r.status}`).sort()).toEqual(
          ['expire:committed', `${action}:rejected`].sort(),
        );

        // One transfer.expired, with the hold as it ended; no transfer.captured or voided. The
        // marker's event comes after every event of the batches before it on the partition.
        const parsed = (all: typeof events.messages) =>
          all.map((m) => LedgerEventV1.parse(JSON.parse(m.value!.toString())));
        const markerSeen = (all: typeof events.messages) =>
          parsed(all).some((e) => 'id' in e.payload && e.payload.id === marker.body.id);
        const seen = parsed(await events.until(markerSeen)).filter(
          (e) => 'id' in e.payload && e.payload.id === held.id,
        );
        expect(seen.map((e) => e.type).sort()).toEqual(['transfer.expired', 'transfer.held']);
        expect(seen.find((e) => e.type === 'transfer.expired')!.payload).toMatchObject({
          status: 'expired',
          hold: { released_amount: '200', captured_amount: '0', resolved_by: expiry.id },
        });
        expect(await ledgerViolations(system.pool, [from, to])).toEqual([]);
      } finally {
        await events.stop();
      }
    },
  );
});
