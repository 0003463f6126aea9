import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { contractArtifacts, serialize } from './contract-artifacts';

/** `npm run contracts:generate`: rewrites contracts/generated/ from the zod contracts. */
const dir = path.resolve(__dirname, '..', 'contracts', 'generated');
mkdirSync(dir, { recursive: true });
for (const [name, document] of Object.entries(contractArtifacts())) {
  writeFileSync(path.join(dir, name), serialize(document));
  console.log(`wrote contracts/generated/${name}`);
}
