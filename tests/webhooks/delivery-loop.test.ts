import { randomUUID } from 'node:crypto';
import type { ClaimedAttempt } from '../../webhook-dispatcher/src/data-access/attempt-claims';
import type { Decision } from '../../webhook-dispatcher/src/domain/attempt-outcome';
import { createDeliveryLoop } from '../../webhook-dispatcher/src/entry-points/delivery-loop';
import { logger, startHarness, type Harness } from './harness';
import { eventually } from '../support/eventually';

/**
 * The delivery loop against the real database with a stand-in for sending: attempts written
 * under a source topic of the test's own, requests that end when the test says so.
 */
describe('the delivery loop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('claiming ahead, it never has more requests in flight to an endpoint than its bound, a stuck endpoint does not hold up another, and stopping gives the waiting attempts back', async () => {
    const topic = `loop-${randomUUID()}`;
    const stuck = await h.endpointWithDueAttempts(topic, 10);
    const fine = await h.endpointWithDueAttempts(topic, 30);
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const sentFine: string[] = [];
    const unstick: Array<() => void> = [];
    const loop = createDeliveryLoop({
      pool: h.pool,
      sourceTopic: topic,
      logger,
      deliver: async (claimed: ClaimedAttempt, sent: () => void): Promise<Decision> => {
        const e = claimed.endpoint_id;
        running.set(e, (running.get(e) ?? 0) + 1);
        most.set(e, Math.max(most.get(e) ?? 0, running.get(e)!));
        if (e === stuck) await new Promise<void>((resolve) => unstick.push(resolve));
        else {
          await new Promise((resolve) => setTimeout(resolve, 5));
          sentFine.push(claimed.attempt_id);
        }
        running.set(e, running.get(e)! - 1);
        sent();
        return { kind: 'delivered' };
      },
      concurrencyMax: 64,
      endpointConcurrencyMax: 2,
      claimBatchMax: 64,
      pollInterval_ms: 20,
      // Long enough to claim ahead: a waiting attempt can still wait out one whole request.
      lease_ms: 30_000,
      endpointsScanMax: 10_000,
      localTimerMax_ms: 60_000,
    });
    loop.start();
    try {
      // Attempts are not recorded here, so each is sent once and stays leased: 30 sends in all.
      await eventually(async () => sentFine.length === 30 || undefined);
      expect(unstick).toHaveLength(2);
      // The stuck endpoint's next two wait, claimed ahead of its slots.
      expect(loop.queued()).toBe(2);
    } finally {
      const stopped = loop.stop();
      for (const resolve of unstick) resolve();
      await stopped;
    }

    expect(most.get(stuck)).toBe(2);
    expect(most.get(fine)).toBe(2);
    expect(new Set(sentFine).size).toBe(30);
    const { rows } = await h.pool.query<{ leased: number; free: number }>(
      `SELECT count(*) FILTER (WHERE lease_token IS NOT NULL)::int AS leased,
              count(*) FILTER (WHERE lease_token IS NULL)::int AS free
         FROM webhook_attempts WHERE endpoint_id = $1`,
      [stuck],
    );
    // 2 were sent (and, unrecorded, keep their lease); the 2 waiting were given back with the rest.
    expect(rows[0]).toEqual({ leased: 2, free: 8 });
  });
});
