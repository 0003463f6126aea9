import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { createLogger } from '../../platform/logger';
import { migrate, MigrationEditedError, sha256 } from '../../platform/migrate';

const logger = createLogger({ service: 'test', level: 'silent', pretty: false });

/**
 * The runner against real PostgreSQL, in a schema of its own (search_path) so that its
 * schema_migrations is not the suite's, with migration files in a temporary directory.
 */
describe('migration checksums', () => {
  const schema = `migrations_${randomUUID().replaceAll('-', '')}`;
  let admin: Pool;
  let pool: Pool;
  let dir: string;

  beforeAll(async () => {
    admin = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    pool = new Pool({
      connectionString: process.env.DATABASE_URL,
      max: 2,
      options: `-c search_path=${schema}`,
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  });

  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('records the sha256 of each file applied, and refuses to run once an applied file was edited, naming it', async () => {
    const first = 'CREATE TABLE things (id int PRIMARY KEY);\n';
    await writeFile(path.join(dir, '0001_things.sql'), first);
    expect(await migrate(pool, logger, dir)).toEqual(['0001_things.sql']);
    const { rows } = await pool.query<{ name: string; sha256: string }>(
      'SELECT name, sha256 FROM schema_migrations',
    );
    expect(rows).toEqual([{ name: '0001_things.sql', sha256: sha256(first) }]);

    // Unchanged: nothing to do, no complaint.
    expect(await migrate(pool, logger, dir)).toEqual([]);

    // An edit of the applied file, and a new file: nothing is applied, the error names the file.
    await writeFile(path.join(dir, '0001_things.sql'), 'CREATE TABLE things (id bigint PRIMARY KEY);\n');
    await writeFile(path.join(dir, '0002_more.sql'), 'CREATE TABLE more (id int);\n');
    const refused = migrate(pool, logger, dir);
    await expect(refused).rejects.toThrow(MigrationEditedError);
    await expect(refused).rejects.toThrow(/migration 0001_things\.sql was edited after it was applied/);
    const tables = await pool.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'more'`,
      [schema],
    );
    expect(tables.rowCount).toBe(0);

    // Restored: the new file is applied.
    await writeFile(path.join(dir, '0001_things.sql'), first);
    expect(await migrate(pool, logger, dir)).toEqual(['0002_more.sql']);
  });

  it('gives a migration applied before checksums were recorded the checksum of its file', async () => {
    const sql = 'CREATE TABLE older (id int);\n';
    await writeFile(path.join(dir, '0003_older.sql'), sql);
    await pool.query('CREATE TABLE older (id int)');
    await pool.query('INSERT INTO schema_migrations (name) VALUES ($1)', ['0003_older.sql']);
    expect(await migrate(pool, logger, dir)).toEqual([]);
    const { rows } = await pool.query<{ sha256: string }>(
      'SELECT sha256 FROM schema_migrations WHERE name = $1',
      ['0003_older.sql'],
    );
    expect(rows[0]!.sha256).toBe(sha256(sql));
  });
});
