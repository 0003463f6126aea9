import { createMetricsRegistry } from '../../platform/metrics/registry';
import { parseExposition } from '../../tests/support/prometheus-text';
import { createApiMetrics } from './metrics';

describe("the API's series", () => {
  it('expose acceptances of every kind a client can submit at 0 before the first, so rate() counts it', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createApiMetrics(registry);
    const accepted = parseExposition(await registry.metrics()).samples.filter(
      (s) => s.name === 'ledger_transfers_accepted_total',
    );
    expect(accepted.map((s) => [s.labels.kind, s.value]).sort()).toEqual([
      ['capture', 0],
      ['deposit', 0],
      ['refund', 0],
      ['transfer', 0],
      ['void', 0],
      ['withdrawal', 0],
    ]);
  });
});
