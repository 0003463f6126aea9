import { faultStack, type FaultStack } from './support/fault-stack';
import { runScenario } from './support/scenario';

/**
 * kill -9 of each service under load (a crash, not a graceful stop), with the failover
 * bounds: a crashed processor's partitions served again within 10 s, a crashed dispatcher's
 * deliveries resumed within 15 s. Failover is measured from the crash.
 */
describe('service crashes under load', () => {
  let stack: FaultStack;
  let connection: Record<string, string>;
  beforeAll(async () => {
    stack = faultStack();
    connection = await stack.connection();
  });

  it('when the processor is killed and restarted, its partitions are served again within 10 s', async () => {
    const { violations } = await runScenario({
      name: 'processor-kill',
      stack,
      connection,
      async fault({ services }) {
        const faultAt = Date.now();
        await services.processors[0]!.kill9();
        services.processors[0]!.start();
        return { faultAt, restoredAt: faultAt };
      },
      bounds: { stall_s: 10 },
    });
    expect(violations).toEqual([]);
  });

  it('when one of two processors is killed in the middle of its batches, the other serves its partitions within 10 s', async () => {
    const { violations } = await runScenario({
      name: 'two-processors-one-killed',
      stack,
      connection,
      processors: 2,
      async fault({ services, processorGroupStable }) {
        // Both hold partitions, and under steady load each commits batch after batch: the kill lands in one.
        await processorGroupStable(2);
        const faultAt = Date.now();
        await services.processors[0]!.kill9();
        return { faultAt, restoredAt: faultAt };
      },
      bounds: { stall_s: 10 },
    });
    expect(violations).toEqual([]);
  });

  it('when the webhook dispatcher is killed and restarted, deliveries resume within 15 s and none is lost', async () => {
    const { violations } = await runScenario({
      name: 'dispatcher-kill',
      stack,
      connection,
      async fault({ services }) {
        const faultAt = Date.now();
        await services.dispatcher.kill9();
        services.dispatcher.start();
        return { faultAt, restoredAt: faultAt };
      },
      bounds: { webhook_lag_s: 15 },
    });
    expect(violations).toEqual([]);
  });

  it('when the API is killed and restarted, clients see refused connections only, and every 202 given before the crash is honoured', async () => {
    const { violations } = await runScenario({
      name: 'api-kill',
      stack,
      connection,
      // Requests in flight when the process dies see their connection reset: that is the crash itself.
      allowedAnswers: ['http_503', 'refused', 'reset'],
      async fault({ services }) {
        const faultAt = Date.now();
        await services.api.kill9();
        services.api.start();
        await services.api.whenReady();
        return { faultAt, restoredAt: Date.now() };
      },
      // A 202 whose command the crashed API had not yet published waits for the sweeper of the
      // restarted one: SWEEP_AGE_MS (30 s) plus at most one SWEEP_INTERVAL_MS (5 s).
      bounds: { first_accept_s: 30, stall_s: 40 },
    });
    expect(violations).toEqual([]);
  });
});
