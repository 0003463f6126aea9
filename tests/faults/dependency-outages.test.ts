import { faultStack, type FaultStack } from './support/fault-stack';
import { runScenario } from './support/scenario';
import { sleep as pause } from '../../platform/retry';

/**
 * Outages of PostgreSQL, the (single) Kafka broker and Redis under load, on the suite's own
 * instance. An outage has a length of its own (it is the fault, not a wait for a condition):
 * OUTAGE_MS, then the dependency is started again and the recovery is measured from the moment
 * it answers.
 */
const OUTAGE_MS = 4_000;

describe('dependency outages under load', () => {
  let stack: FaultStack;
  let connection: Record<string, string>;
  beforeAll(async () => {
    stack = faultStack();
    connection = await stack.connection();
  });
  // Whatever a scenario left stopped is started again for the next one.
  afterEach(() => stack.up());

  const outage = (component: 'postgres' | 'kafka' | 'redis') => async () => {
    const faultAt = Date.now();
    await stack.crash(component);
    await pause(OUTAGE_MS);
    await stack.up();
    return { faultAt, restoredAt: Date.now() };
  };

  it('when PostgreSQL shuts down immediately and starts again, no service exits, clients get 503s, and commits and deliveries resume within 30 s', async () => {
    const { violations } = await runScenario({
      name: 'postgres-immediate-stop',
      stack,
      connection,
      fault: outage('postgres'),
      bounds: { recovery_s: 30, first_accept_s: 30, delivery_recovery_s: 30 },
    });
    expect(violations).toEqual([]);
  });

  it('when the Kafka broker is killed (-9) and restarted, submissions are answered within the publish timeout, and what was accepted meanwhile is decided within 10 s of its return', async () => {
    const { violations } = await runScenario({
      name: 'kafka-broker-kill',
      stack,
      connection,
      fault: outage('kafka'),
      bounds: {
        recovery_s: 30,
        first_accept_s: 30,
        delivery_recovery_s: 30,
        // PUBLISH_TIMEOUT_MS (2 s) and a margin for the pending row's commit.
        answer_during_fault_s: 3,
        // The sweeper publishes on the broker's return, not when the rows are SWEEP_AGE_MS old.
        final_after_return_s: 10,
      },
    });
    expect(violations).toEqual([]);
  });

  it('when Redis is killed and restarted, requests are neither held nor refused (the limiter falls back) and nothing is lost', async () => {
    const { violations } = await runScenario({
      name: 'redis-kill',
      stack,
      connection,
      fault: outage('redis'),
      // Redis only backs the rate limiter: no client should notice it went away.
      allowedAnswers: [],
      bounds: { first_accept_s: 30, answer_during_fault_s: 2 },
    });
    expect(violations).toEqual([]);
  });
});
