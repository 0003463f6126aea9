import { createDispatcher, type Dispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { fundedAccount, newTenant } from '../support/client';
import { scrape, total } from '../support/prometheus-text';
import { startSystem, type System } from '../support/system';
import { dispatcherConfig, logger } from '../webhooks/harness';
import { startReceiver, type TestReceiver } from '../webhooks/test-receiver';

/**
 * METRICS_ENABLED=false, the switch the benchmark uses to measure what metrics cost: every
 * service still answers /metrics with its series declared, but nothing on the work's path feeds
 * them and no process metrics are collected. Real work goes through all three to show it.
 */
describe('with METRICS_ENABLED=false', () => {
  let system: System;
  let dispatcher: Dispatcher;
  let receiver: TestReceiver;

  beforeAll(async () => {
    system = await startSystem({ METRICS_ENABLED: 'false', WEBHOOK_ALLOW_HTTP: 'true' });
    dispatcher = createDispatcher(dispatcherConfig(system.prefix, { METRICS_ENABLED: 'false' }), logger);
    await dispatcher.start();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await system?.stop();
    await receiver?.close();
  });

  it('the API, the processor and the dispatcher do the work and count none of it', async () => {
    const tenant = await newTenant(system.url);
    const hook = receiver.endpoint();
    await tenant.api.post('/v1/webhook-endpoints', { url: hook.url, event_types: ['transfer.committed'] });
    await fundedAccount(tenant.api, 'USD', 500); // accepted by the API, committed by the processor
    await receiver.waitFor(hook.path, 1); // and delivered by the dispatcher

    const [api, processor, webhooks] = await Promise.all([
      scrape(system.url),
      scrape(system.processorOpsUrl()),
      scrape(dispatcher.opsUrl()!),
    ]);
    for (const e of [api, processor, webhooks]) expect(e.types.has('process_cpu_seconds_total')).toBe(false);
    for (const e of [processor, webhooks])
      expect(e.types.has('ledger_kafka_consumer_lag_messages')).toBe(false);
    const unfed: Array<[typeof api, string]> = [
      [api, 'ledger_http_requests_total'],
      [api, 'ledger_transfers_accepted_total'],
      [processor, 'ledger_transfers_committed_total'],
      [processor, 'ledger_commit_batch_size_commands_count'],
      [webhooks, 'ledger_webhook_attempts_total'],
      [webhooks, 'ledger_webhook_first_attempt_latency_seconds_count'],
    ];
    for (const [e, name] of unfed) expect([name, total(e, name)]).toEqual([name, 0]);
    // Declared all the same: dashboards and alerts find the names, at 0.
    expect(webhooks.types.get('ledger_webhook_attempts_total')).toBe('counter');
    expect(processor.types.get('ledger_transfers_committed_total')).toBe('counter');
  });
});
