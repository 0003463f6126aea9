import { LedgerEventV1 } from '../../contracts/src';
import { fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { collect } from '../support/kafka-messages';
import { startSystem, type System } from '../support/system';

type Leg = { destination_account_id: string; amount: number };

const ids = (reply: { body: { data: Array<{ id: string }> } }) => reply.body.data.map((t) => t.id);

describe('who reads a split: its payer all of it, each leg payee its own legs only', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  async function split(api: Client, source: string, legs: Leg[]) {
    const accepted = await api.post(
      '/v1/transfers',
      { source_account_id: source, legs, currency: 'USD', description: 'order 42' },
      idem(),
    );
    return settled(api, accepted.body.id);
  }

  it('shows a leg payee the split restricted to its legs, in GET and in lists by its account, and a third tenant nothing', async () => {
    const payer = await newTenant(system.url, 'Marketplace');
    const seller = await newTenant(system.url, 'Seller');
    const courier = await newTenant(system.url, 'Courier');
    const stranger = await newTenant(system.url, 'Stranger');
    const card = await fundedAccount(payer.api, 'USD', 10_000);
    const fee = await fundedAccount(payer.api, 'USD', 0);
    const goods = await fundedAccount(seller.api, 'USD', 0);
    const tips = await fundedAccount(seller.api, 'USD', 0);
    const shipping = await fundedAccount(courier.api, 'USD', 0);
    const paid = await split(payer.api, card, [
      { destination_account_id: goods, amount: 6_000 },
      { destination_account_id: shipping, amount: 900 },
      { destination_account_id: fee, amount: 100 },
      { destination_account_id: tips, amount: 3 },
    ]);
    expect(paid).toMatchObject({ status: 'committed', amount: '7003' });
    expect(paid.legs).toHaveLength(4);

    // The seller: its two legs (with their indexes), their sum, its own entries; nothing else.
    const seen = await seller.api.get(`/v1/transfers/${paid.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      id: paid.id,
      status: 'committed',
      source_account_id: card,
      destination_account_id: null,
      description: 'order 42',
      amount: '6003',
      currency: 'USD',
      failed_leg: null,
      refunded_amount: '0',
      refunded_destination_amount: null,
      legs: [
        { index: 0, destination_account_id: goods, amount: '6000' },
        { index: 3, destination_account_id: tips, amount: '3' },
      ],
    });
    expect(seen.body.entries).toEqual([
      { account_id: goods, direction: 'credit', amount: '6000', currency: 'USD' },
      { account_id: tips, direction: 'credit', amount: '3', currency: 'USD' },
    ]);
    // Amounts as whole JSON values: an id's hex may hold the same digits ("…e9002…").
    for (const hidden of [shipping, fee, '"7003"', '"900"'])
      expect(JSON.stringify(seen.body)).not.toContain(hidden);
    expect((await courier.api.get(`/v1/transfers/${paid.id}`)).body).toMatchObject({
      amount: '900',
      legs: [{ index: 1, destination_account_id: shipping }],
      entries: [{ account_id: shipping, amount: '900' }],
    });
    expect((await stranger.api.get(`/v1/transfers/${paid.id}`)).status).toBe(404);
    // The payer sees all of it, as before, and finds it by its own leg's account too.
    expect((await payer.api.get(`/v1/transfers/${paid.id}`)).body).toEqual(paid);
    const byFee = await payer.api.get(`/v1/transfers?account_id=${fee}`);
    expect(ids(byFee)).toEqual([paid.id]);
    expect(byFee.body.data[0]).toEqual(paid);

    // Lists: by a leg's account, and the payee's whole list; each row as that tenant sees it.
    const byGoods = await seller.api.get(`/v1/transfers?account_id=${goods}&kind=transfer`);
    expect(ids(byGoods)).toEqual([paid.id]);
    expect(byGoods.body.data[0]).toEqual(seen.body);
    expect(ids(await seller.api.get(`/v1/transfers?account_id=${tips}`))).toEqual([paid.id]);
    expect(ids(await seller.api.get('/v1/transfers?status=committed&kind=transfer'))).toEqual([paid.id]);
    expect(ids(await seller.api.get(`/v1/transfers?account_id=${goods}&kind=deposit`))).toEqual([]);
    expect(ids(await courier.api.get(`/v1/transfers?account_id=${shipping}`))).toEqual([paid.id]);
    // Not by an account of another leg, nor by a stranger through the seller's account.
    expect(ids(await courier.api.get(`/v1/transfers?account_id=${goods}`))).toEqual([]);
    expect(ids(await stranger.api.get(`/v1/transfers?account_id=${goods}`))).toEqual([]);
    expect(ids(await stranger.api.get('/v1/transfers'))).toEqual([]);
  });

  it('pages a payee list merging its own transfers and the splits that paid it, newest first', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(seller.api, 'USD', 0);
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      expected.push((await split(payer.api, card, [{ destination_account_id: till, amount: 10 + i }])).id);
      const direct = await payer.api.post(
        '/v1/transfers',
        { source_account_id: card, destination_account_id: till, amount: 1, currency: 'USD' },
        idem(),
      );
      expected.push((await settled(payer.api, direct.body.id)).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await seller.api.get(`/v1/transfers?account_id=${till}&limit=2${query}`);
      expect(page.status).toBe(200);
      seen.push(...ids(page));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(expected.reverse());
  });

  it('hides a rejected split from its leg payees, and lists a leg account through an index', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'USD', 10);
    const till = await fundedAccount(seller.api, 'USD', 0);
    const short = await split(payer.api, card, [{ destination_account_id: till, amount: 11 }]);
    expect(short).toMatchObject({ status: 'rejected', reason: { code: 'insufficient_funds' } });
    expect((await seller.api.get(`/v1/transfers/${short.id}`)).status).toBe(404);
    expect(ids(await seller.api.get(`/v1/transfers?account_id=${till}`))).toEqual([]);

    // With sequential scans priced out, the planner must find an index for each lookup of the legs.
    const db = await system.pool.connect();
    try {
      await db.query('BEGIN');
      await db.query('SET LOCAL enable_seqscan = off');
      for (const [column, value] of [
        ['destination_account_id', till],
        ['destination_tenant_id', seller.id],
      ] as const) {
        const plan = await db.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT transfer_id FROM transfer_legs WHERE ${column} = $1`,
          [value],
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(
          /Index (Only )?Scan|Bitmap Index Scan/,
        );
      }
    } finally {
      await db.query('ROLLBACK');
      db.release();
    }
  });

  it('tells a payee refunding its leg transfer.refunded with its own legs only, and the payer with all', async () => {
    const events = await collect(system.kafka, system.topics.events);
    try {
      const payer = await newTenant(system.url, 'Payer');
      const seller = await newTenant(system.url, 'Seller');
      const courier = await newTenant(system.url, 'Courier');
      const card = await fundedAccount(payer.api, 'USD', 1_000);
      const till = await fundedAccount(seller.api, 'USD', 0);
      const van = await fundedAccount(courier.api, 'USD', 0);
      const paid = await split(payer.api, card, [
        { destination_account_id: till, amount: 400 },
        { destination_account_id: van, amount: 77 },
      ]);
      const back = await seller.api.post(`/v1/transfers/${paid.id}/refunds`, { amount: 150 }, idem());
      expect((await settled(seller.api, back.body.id)).status).toBe('committed');
      const told = await eventually(() => {
        const found = events.messages
          .map((m) => LedgerEventV1.parse(JSON.parse(m.value!.toString())))
          .filter((e) => e.type === 'transfer.refunded' && e.payload.id === paid.id);
        return found.length === 2 ? found : undefined;
      }, 20_000);
      const toSeller = told.find((e) => e.tenant_id === seller.id)!;
      expect(toSeller.payload).toMatchObject({ amount: '400', refunded_amount: '150', legs: [{ index: 0 }] });
      expect(JSON.stringify(toSeller.payload)).not.toContain(van);
      const toPayer = told.find((e) => e.tenant_id === payer.id)!;
      expect(toPayer.payload).toMatchObject({ amount: '477', refunded_amount: '150' });
      expect(toPayer.payload).toHaveProperty('legs.1.destination_account_id', van);
      // The courier still sees nothing of the seller's refund.
      expect((await courier.api.get(`/v1/transfers/${paid.id}`)).body).toMatchObject({
        refunded_amount: '0',
        legs: [{ index: 1, refunded_amount: '0' }],
      });
    } finally {
      await events.stop();
    }
  });
});
