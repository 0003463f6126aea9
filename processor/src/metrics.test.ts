import { DEAD_LETTER_REASONS, TransferRecordKind } from '../../contracts/src';
import { createMetricsRegistry } from '../../platform/metrics/registry';
import { parseExposition, total } from '../../tests/support/prometheus-text';
import { createProcessorMetrics, expiryMetrics } from './metrics';

const exposition = async (registry: ReturnType<typeof createMetricsRegistry>) =>
  parseExposition(await registry.metrics());

describe("the processor's series", () => {
  it('expose every dead-letter reason at 0 before the first dead letter, so increase() sees the first one', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createProcessorMetrics(registry);
    const dead = (await exposition(registry)).samples.filter(
      (s) => s.name === 'ledger_dead_letter_messages_total',
    );
    expect(dead.map((s) => s.labels.reason).sort()).toEqual([...DEAD_LETTER_REASONS, 'unknown'].sort());
    expect(dead.every((s) => s.value === 0)).toBe(true);
  });

  it('expose commits of every kind at 0 before the first, so rate() counts the first one', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createProcessorMetrics(registry);
    const committed = (await exposition(registry)).samples.filter(
      (s) => s.name === 'ledger_transfers_committed_total',
    );
    expect(committed.map((s) => s.labels.kind).sort()).toEqual(
      [...TransferRecordKind.options, 'hold'].sort(),
    );
    expect(committed.every((s) => s.value === 0)).toBe(true);
  });

  it('count the expiry commands of the hold expiry sweeper, first asks and asked again apart, from 0', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createProcessorMetrics(registry);
    const before = await exposition(registry);
    expect(
      before.samples
        .filter((s) => s.name === 'ledger_hold_expiry_commands_published_total')
        .map((s) => [s.labels.attempt, s.value]),
    ).toEqual([
      ['first', 0],
      ['again', 0],
    ]);

    const observer = expiryMetrics(metrics);
    observer.published(3, 0);
    observer.published(1, 2);
    const after = await exposition(registry);
    expect(total(after, 'ledger_hold_expiry_commands_published_total', { attempt: 'first' })).toBe(4);
    expect(total(after, 'ledger_hold_expiry_commands_published_total', { attempt: 'again' })).toBe(2);
  });
});
