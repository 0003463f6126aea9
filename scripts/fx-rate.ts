import { z } from 'zod';
import { CurrencyCode } from '../contracts/src';
import { listRates, upsertRate } from '../api/src/data-access/fx-rates';
import { baseConfigShape, loadConfig } from '../platform/config';
import { formatRate, parseRate } from '../domain/money';
import { createPool } from '../platform/postgres';

const USAGE =
  'usage: npm run fx -- set <BASE> <QUOTE> <rate>   (e.g. set USD EUR 0.92)\n       npm run fx -- list';

/** The operator's CLI for exchange rates (tenants never set them): writes to DATABASE_URL. */
async function main(args: string[]): Promise<void> {
  const config = loadConfig(z.object({ DATABASE_URL: baseConfigShape.DATABASE_URL }));
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'fx-cli' });
  try {
    if (args[0] === 'list') {
      for (const r of await listRates(pool))
        console.log(`${r.base}/${r.quote} ${formatRate(r.rate)} (${r.updatedAt.toISOString()})`);
    } else if (args[0] === 'set' && args.length === 4) {
      const base = CurrencyCode.parse(args[1]);
      const quote = CurrencyCode.parse(args[2]);
      if (base === quote) throw new Error('base and quote must differ');
      const rate = parseRate(args[3]!);
      await upsertRate(pool, base, quote, rate);
      console.log(`${base}/${quote} set to ${formatRate(rate)}`);
    } else {
      console.error(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
