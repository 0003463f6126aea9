import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
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
});
