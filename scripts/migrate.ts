import { loadConfig } from '../platform/config';
import { z } from 'zod';
import { createLogger } from '../platform/logger';
import { migrate } from '../platform/migrate';
import { createPool } from '../platform/postgres';
import { baseConfigShape } from '../platform/config';

/** Applies pending migrations to DATABASE_URL. */
async function main(): Promise<void> {
  const config = loadConfig(z.object({ DATABASE_URL: baseConfigShape.DATABASE_URL }));
  const logger = createLogger({ service: 'migrate', level: 'info', pretty: false });
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'migrate' });
  try {
    const applied = await migrate(pool, logger);
    console.error(`migrations: ${applied.length} applied`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
