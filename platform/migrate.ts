import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from './postgres';
import type { Logger } from './logger';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');
const LOCK_KEY = 7_160_001; // pg_advisory_lock key: one migrator at a time across processes

/**
 * Applies the append-only SQL files of migrations/ in name order, each in its own transaction,
 * under an advisory lock so that concurrent starters do not race. Returns the names applied.
 */
export async function migrate(pool: Pool, logger: Logger, dir = resolveDir()): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      const sql = await readFile(path.join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      logger.info({ migration: file }, 'migration applied');
      applied.push(file);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

// Works both from sources (platform/) and from the compiled tree (dist/platform/).
export function resolveDir(): string {
  const fromSource = path.resolve(__dirname, '..', 'migrations');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? MIGRATIONS_DIR : fromSource;
}
