import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from './postgres';
import type { Logger } from './logger';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');
const LOCK_KEY = 7_160_001; // pg_advisory_lock key: one migrator at a time across processes

/** An applied migration's file no longer reads as it did when it was applied. */
export class MigrationEditedError extends Error {
  readonly code = 'migration_edited';
  constructor(
    readonly file: string,
    readonly applied_sha256: string,
    readonly file_sha256: string,
  ) {
    super(
      `migration ${file} was edited after it was applied (sha256 ${applied_sha256} when applied, ` +
        `${file_sha256} now): migrations are append-only; restore the file and add a new migration instead`,
    );
  }
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Applies the append-only SQL files of migrations/ in name order, each in its own transaction,
 * under an advisory lock so that concurrent starters do not race, recording each file's sha256.
 * Refuses to go on (before applying anything) when a file already applied was edited since:
 * the database would no longer be what the files describe. Rows applied before checksums were
 * recorded get the file's current checksum (trusted on first sight). Returns the names applied.
 * @throws MigrationEditedError
 */
export async function migrate(pool: Pool, logger: Logger, dir = resolveDir()): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    // The runner's own bookkeeping, added here rather than by a migration: it must exist before
    // any migration is checked, and migration files stay the schema of the ledger alone.
    await client.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 text');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    const sources = new Map<string, string>();
    for (const file of files) sources.set(file, await readFile(path.join(dir, file), 'utf8'));
    const done = await checkApplied(client, sources, logger);
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      const sql = sources.get(file)!;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [
          file,
          sha256(sql),
        ]);
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

/**
 * The names already applied, after checking each one whose file is here against its recorded
 * checksum. An applied name with no file here is left alone (another build's, or a test's).
 * @throws MigrationEditedError
 */
async function checkApplied(client: PoolClient, sources: Map<string, string>, logger: Logger) {
  const { rows } = await client.query<{ name: string; sha256: string | null }>(
    'SELECT name, sha256 FROM schema_migrations ORDER BY name',
  );
  for (const row of rows) {
    const source = sources.get(row.name);
    if (source === undefined) continue;
    const now = sha256(source);
    if (row.sha256 === null) {
      await client.query('UPDATE schema_migrations SET sha256 = $2 WHERE name = $1 AND sha256 IS NULL', [
        row.name,
        now,
      ]);
      logger.info({ migration: row.name }, 'checksum of an earlier migration recorded');
    } else if (row.sha256 !== now) throw new MigrationEditedError(row.name, row.sha256, now);
  }
  return new Set(rows.map((r) => r.name));
}

// Works both from sources (platform/) and from the compiled tree (dist/platform/).
export function resolveDir(): string {
  const fromSource = path.resolve(__dirname, '..', 'migrations');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? MIGRATIONS_DIR : fromSource;
}
