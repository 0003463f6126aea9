import { readFileSync } from 'node:fs';
import type { Demo } from './seed-demo';

/** Prints the API's URL and a copy-paste curl that submits a transfer and polls it. */
function main(url: string, file: string, adminToken: string): void {
  const demo = JSON.parse(readFileSync(file, 'utf8')) as Demo;
  const auth = `-H 'Authorization: Bearer ${demo.key}'`;
  const body = JSON.stringify({
    source_account_id: demo.source,
    destination_account_id: demo.destination,
    amount: '1250',
    currency: 'USD',
    description: 'quick start',
  });
  const submit =
    `ID=$(curl -s -X POST ${url}/v1/transfers ${auth} -H 'Content-Type: application/json' ` +
    `-H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -d '${body}' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)`;
  const poll = `curl -s "${url}/v1/transfers/$ID?wait=5" ${auth}; echo`;
  console.log(`
  Ledger API:     ${url}         (OpenAPI: ${url}/openapi.json)
  Demo tenant key ${demo.key}
  Admin token     ${adminToken}   (for PUT /v1/admin/fx-rates/{base}/{quote})

  Submit a transfer and poll it until it is final:

${submit} && echo "submitted $ID" && ${poll}
`);
}

main(process.argv[2]!, process.argv[3]!, process.argv[4]!);
