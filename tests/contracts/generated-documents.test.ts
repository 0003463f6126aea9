import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LedgerEventV1 } from '../../contracts/src';
import { contractArtifacts, serialize } from '../../scripts/contract-artifacts';

const dir = path.resolve(__dirname, '..', '..', 'contracts', 'generated');

describe('the documents generated from the zod contracts', () => {
  it.each(Object.keys(contractArtifacts()))(
    '%s is checked in as generated (run npm run contracts:generate)',
    (name) => {
      const checkedIn = readFileSync(path.join(dir, name), 'utf8');
      expect(checkedIn).toBe(serialize(contractArtifacts()[name]));
    },
  );

  it('lets a producer in another language validate a command with the JSON Schema alone', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(dir, 'transfer-command.v1.schema.json'), 'utf8')),
    );
    const command = {
      type: 'transfer.requested',
      version: 1,
      occurred_at: '2026-11-24T10:00:00Z',
      payload: {
        tenant_id: '0190f2a4-7c1e-7b9a-8d3e-1f2a3b4c5d6e',
        idempotency_key: 'order-42',
        source_account_id: '0190f2a4-7c1e-7b9a-8d3e-1f2a3b4c5d6f',
        destination_account_id: '0190f2a4-7c1e-7b9a-8d3e-1f2a3b4c5d70',
        amount: '9007199254740993',
        currency: 'USD',
      },
    };
    expect(validate(command)).toBe(true);
    expect(validate({ ...command, payload: { ...command.payload, amount: 1.5 } })).toBe(false);
    expect(validate({ ...command, payload: { ...command.payload, currency: 'usd' } })).toBe(false);
    // Well-formed but not held by the ledger: valid here, rejected as unsupported_currency.
    expect(validate({ ...command, payload: { ...command.payload, currency: 'XTS' } })).toBe(true);
  });

  it('takes a transfer event written before split refunds (no refund_leg, legs without index or refunded totals), or before holds, refunds and splits, in zod and in the JSON Schema', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(dir, 'ledger-event.v1.schema.json'), 'utf8')),
    );
    const id = (n: number) => `0190f2a4-7c1e-7b9a-8d3e-1f2a3b4c5d${String(n).padStart(2, '0')}`;
    const leg = {
      destination_account_id: id(3),
      amount: '70',
      destination_amount: '70',
      destination_currency: 'USD',
      rate: null,
    };
    const older = {
      id: id(1),
      type: 'transfer.committed',
      version: 1,
      occurred_at: '2026-11-24T10:00:00Z',
      tenant_id: id(2),
      payload: {
        id: id(4),
        status: 'committed',
        kind: 'transfer',
        capture: 'automatic',
        hold_id: null,
        hold: null,
        refund_of: null,
        refunded_amount: '0',
        refunded_destination_amount: null,
        source_account_id: id(5),
        destination_account_id: null,
        amount: '100',
        currency: 'USD',
        destination_amount: null,
        destination_currency: null,
        rate: null,
        description: null,
        metadata: null,
        reason: null,
        legs: [leg, { ...leg, amount: '30', destination_amount: '30' }],
        failed_leg: null,
        entries: [],
        created_at: '2026-11-24T10:00:00Z',
        finalized_at: '2026-11-24T10:00:01Z',
      },
    };
    expect(LedgerEventV1.safeParse(older).success).toBe(true);
    expect(validate(older)).toBe(true);
    // What today's processor writes passes too, and a malformed leg still does not.
    const today = {
      ...older,
      payload: {
        ...older.payload,
        refund_leg: null,
        legs: older.payload.legs.map((l, index) => ({
          ...l,
          index,
          refunded_amount: '0',
          refunded_destination_amount: '0',
        })),
      },
    };
    expect(LedgerEventV1.safeParse(today).success).toBe(true);
    expect(validate(today)).toBe(true);
    const broken = {
      ...today,
      payload: { ...today.payload, legs: [{ ...today.payload.legs[0], index: -1 }] },
    };
    expect(LedgerEventV1.safeParse(broken).success).toBe(false);
    expect(validate(broken)).toBe(false);

    // Written by the first version 1 processor, before holds, refunds and splits existed.
    const {
      capture: _capture,
      hold_id: _hold_id,
      hold: _hold,
      refund_of: _refund_of,
      refunded_amount: _refunded_amount,
      refunded_destination_amount: _refunded_destination_amount,
      legs: _legs,
      failed_leg: _failed_leg,
      ...first
    } = older.payload;
    const firstEvent = { ...older, payload: first };
    expect(LedgerEventV1.safeParse(firstEvent).success).toBe(true);
    expect(validate(firstEvent)).toBe(true);
  });
});
