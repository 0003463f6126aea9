import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../support/eventually';

const ROOT = path.resolve(__dirname, '..', '..');

// `npm run up` runs each service under scripts/supervise.sh: a service that dies (kill -9, a
// crash) is started again, with backoff and a log line, and `npm run down`'s SIGTERM stops both.
describe('the supervisor of npm run up', () => {
  it('starts a service that dies again, says so in its log, and stops it on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'supervise-'));
    const starts = path.join(dir, 'starts');
    const entry = path.join(dir, 'service.js');
    // A service that records each start, then dies at once, as a crash would (exit code 3).
    writeFileSync(
      entry,
      `require('fs').appendFileSync(${JSON.stringify(starts)}, 'x'); setTimeout(() => process.exit(3), 50);`,
    );
    const name = `test-supervised-${randomUUID().slice(0, 8)}`;
    const supervisor = spawn('bash', [path.join(ROOT, 'scripts/supervise.sh'), name], {
      env: { ...process.env, LEDGER_SUPERVISED_ENTRY: entry },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', resolve));
    try {
      // The first restart waits 1 s, the second 2 s.
      await eventually(
        () => (existsSync(starts) && readFileSync(starts, 'utf8').length >= 3) || undefined,
        10_000,
        100,
        'three starts',
      );
      const log = readFileSync(path.join(ROOT, '.data/logs', `${name}.log`), 'utf8');
      expect(log).toContain(`supervisor: ${name} exited with code 3; starting it again in 1s`);
      expect(supervisor.exitCode).toBeNull(); // a dying service never ends its supervisor
    } finally {
      supervisor.kill('SIGTERM');
    }
    await exited;
  });
});
