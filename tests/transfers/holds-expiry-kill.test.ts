import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { eventually } from '../support/eventually';
import { testServiceEnv } from '../support/service-env';
import { startSystem, type System } from '../support/system';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * A processor killed with SIGKILL around an expiry: after it claimed due holds, maybe before it
 * published their expiries, maybe in the middle of the batch deciding them, maybe after that
 * batch committed but before its offsets did. Whatever it had done, every hold expires once.
 */
describe('a processor killed (SIGKILL) around the expiry of holds', () => {
  let system: System;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    // The in-process processor sweeps only when it starts (and then once a minute): the child
    // below is the one that finds the due holds.
    system = await startSystem({ HOLD_EXPIRY_INTERVAL_MS: '60000', HOLD_EXPIRY_AGAIN_AFTER_MS: '300' });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await system.stop();
  });

  /** A second processor of the same group, as a child process, that looks for due holds every 50 ms. */
  async function startChildProcessor(): Promise<ChildProcess> {
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', 'processor/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...testServiceEnv(system.prefix),
        HOLD_EXPIRY_INTERVAL_MS: '50',
        HOLD_EXPIRY_AGAIN_AFTER_MS: '300',
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    await eventually(
      async () => output.includes('processor started'),
      60_000,
      100,
      'child processor started',
    );
    return proc;
  }

  it('still expires every hold exactly once', async () => {
    child = await startChildProcessor();
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const holds = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post(
          '/v1/transfers',
          {
            kind: 'withdrawal',
            source_account_id: from,
            amount: 40,
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

    // The child has claimed the due holds: kill it there, whatever it was doing with them.
    await eventually(
      async () =>
        ((
          await system.pool.query(
            'SELECT 1 FROM transfers WHERE id = ANY($1::uuid[]) AND expiry_requested_at IS NOT NULL',
            [ids],
          )
        ).rowCount ?? 0) > 0,
      20_000,
      5,
      'expiries claimed',
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = undefined;
    // Once HOLD_EXPIRY_AGAIN_AFTER_MS has passed since the claims, a processor starting sweeps
    // again whatever is still open.
    await eventually(
      async () =>
        (
          await system.pool.query<{ ripe: boolean }>(
            `SELECT bool_and(expiry_requested_at IS NULL OR expiry_requested_at < now() - interval '300 milliseconds') AS ripe
               FROM transfers WHERE id = ANY($1::uuid[])`,
            [ids],
          )
        ).rows[0]!.ripe,
      5_000,
      25,
      'claims old enough to be made again',
    );
    await system.restartProcessor();

    const statuses = async () =>
      (
        await system.pool.query<{ status: string }>(
          'SELECT status FROM transfers WHERE id = ANY($1::uuid[])',
          [ids],
        )
      ).rows.map((r) => r.status);
    await eventually(
      async () => (await statuses()).every((s) => s === 'expired'),
      30_000,
      100,
      'holds expired',
    );
    const expiries = await system.pool.query<{ hold_id: string; n: number }>(
      `SELECT hold_id, count(*)::int AS n FROM transfers WHERE hold_id = ANY($1::uuid[]) GROUP BY hold_id`,
      [ids],
    );
    expect(expiries.rows.map((r) => r.n)).toEqual(ids.map(() => 1));
    expect((await api.get(`/v1/accounts/${from}`)).body).toMatchObject({ balance: '1000', held: '0' });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  }, 90_000);
});
