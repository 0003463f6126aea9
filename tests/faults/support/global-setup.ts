import { createLogger } from '../../../platform/logger';
import { migrate } from '../../../platform/migrate';
import { createPool } from '../../../platform/postgres';
import { faultStack } from './fault-stack';

/**
 * The fault suite runs only on its own instance, which scripts/test-faults.sh provisions and
 * describes with LEDGER_* variables; it is started here too when stopped, then migrated.
 */
export default async function globalSetup(): Promise<void> {
  const stack = faultStack();
  await stack.up();
  const { DATABASE_URL } = await stack.connection();
  const pool = createPool({ url: DATABASE_URL!, max: 1, applicationName: 'fault-setup' });
  try {
    await migrate(pool, createLogger({ service: 'fault-setup', level: 'warn', pretty: false }));
  } finally {
    await pool.end();
  }
}
