import { createMetricsRegistry } from '../../platform/metrics/registry';
import { parseExposition } from '../../tests/support/prometheus-text';
import { createDispatcherMetrics } from './metrics';

describe("the dispatcher's series", () => {
  it('expose every attempt outcome and every disabling reason at 0 before the first, so increase() sees it', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createDispatcherMetrics(registry);
    const { samples } = parseExposition(await registry.metrics());
    const series = (name: string, label: string) =>
      samples
        .filter((s) => s.name === name)
        .map((s) => [s.labels[label], s.value])
        .sort();
    expect(series('ledger_webhook_attempts_total', 'outcome')).toEqual([
      ['delivered', 0],
      ['disable_endpoint', 0],
      ['give_up', 0],
      ['retry', 0],
    ]);
    expect(series('ledger_webhook_endpoints_disabled_total', 'reason')).toEqual([
      ['failing', 0],
      ['gone', 0],
    ]);
  });
});
