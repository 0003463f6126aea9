import { newTenant, fundedAccount } from '../support/client';
import { startSystem } from '../support/system';
it('scratch', async () => {
  const system = await startSystem();
  try {
    const { api } = await newTenant(system.url);
    await fundedAccount(api, 'USD', 1000);
    const m = await (await fetch(`${system.url}/metrics`)).text();
    const p = await (await fetch(`${system.processorOpsUrl()}/metrics`)).text();
    const r1 = await (await fetch(`${system.url}/readyz`)).text();
    const r2 = await (await fetch(`${system.processorOpsUrl()}/readyz`)).text();
    require('fs').writeFileSync('/tmp/wtf/out.txt', [m, p, r1, r2].join('\n=====\n'));
  } finally {
    await system.stop();
  }
});
