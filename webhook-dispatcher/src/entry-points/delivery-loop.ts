import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { backoffDelay, CLAIM_FAILURE } from '../../../platform/retry';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import { claimDueAttempts, releaseAttempts, type ClaimedAttempt } from '../data-access/attempt-claims';
import type { Decision } from '../domain/attempt-outcome';
import { createEndpointSlots } from './endpoint-slots';
import { createLeaseKeeper } from './lease-keeper';

export interface DeliveryLoopOptions {
  pool: Pool;
  /** Only attempts of messages from this events topic are claimed. */
  sourceTopic: string;
  logger: Logger;
  /**
   * Sends one claimed attempt and records its outcome; calls `sent` once the request is over
   * (before recording), which frees the endpoint's slot.
   */
  deliver: (claimed: ClaimedAttempt, sent: () => void) => Promise<Decision>;
  /** Attempts in flight in this process, all endpoints together. */
  concurrencyMax: number;
  /** Requests in flight in this process to one endpoint. */
  endpointConcurrencyMax: number;
  /** Attempts claimed per query. */
  claimBatchMax: number;
  /** How often to look for due attempts when nothing woke the loop, ms. */
  pollInterval_ms: number;
  /**
   * How long a claim holds without renewal: a crashed dispatcher's attempts are due again this
   * long after its last renewal. Renewed every third of it while held, so requests may outlast it.
   */
  lease_ms: number;
  /**
   * Endpoints with scheduled attempts one claim looks at (going round from a random id). Far
   * above what one dispatcher serves at once.
   */
  endpointsScanMax: number;
  /** Retries due within this long get a timer of their own instead of waiting for the poll, ms. */
  localTimerMax_ms: number;
}

/** A claimed attempt waiting for its endpoint's slot is sent only with this much lease to spare. */
const LEASE_MARGIN_MS = 1_000;

/**
 * The queue entry point: claims due attempts from PostgreSQL and sends them concurrently, at
 * most concurrencyMax at once and endpointConcurrencyMax per endpoint, so a slow or hanging
 * endpoint only ever holds its own slots (no head-of-line blocking). The claim is told each
 * endpoint's room and takes no more than that, so a full endpoint is left out of it.
 *
 * Claiming ahead: a claim is a round trip with a commit (a WAL flush), which paced the whole loop
 * when each claim only refilled the slots freed meanwhile. So when the lease is long enough, each
 * endpoint's room is its slots plus as many attempts again, held in a local queue and started
 * the moment one of its requests ends. A queued attempt is only sent while its lease still
 * covers a whole request (plus a margin); otherwise it is given back, so an expired lease never
 * lets two dispatchers send it. Queued attempts count against concurrencyMax like running ones.
 */
export function createDeliveryLoop(options: DeliveryLoopOptions) {
  const { logger } = options;
  const leaseToken = randomUUID();
  // Claiming ahead: leases are renewed while held, so an attempt may wait for its endpoint's slot.
  const slots = createEndpointSlots({
    endpointConcurrencyMax: options.endpointConcurrencyMax,
    aheadPerEndpoint: options.endpointConcurrencyMax,
  });
  const leases = createLeaseKeeper({ pool: options.pool, leaseToken, lease_ms: options.lease_ms, logger });
  /** Gives-back under way (awaited by stop, before the pool closes). */
  const releasing = new Set<Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  /** Kicked when work may be due that the last claim did not see (new messages, a retry's time). */
  const pause = createWakeableSleep();
  const kick = pause.kick;
  /** The last claim was held back by room (overall or per endpoint): a freed slot is worth a look. */
  let constrained = false;
  let loop: Promise<void> | undefined;

  function kickIn(delay_ms: number): void {
    if (delay_ms > options.localTimerMax_ms) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      kick();
    }, delay_ms);
    timer.unref();
    timers.add(timer);
  }

  function start(claimed: ClaimedAttempt): void {
    const endpoint = claimed.endpoint_id;
    slots.occupy(endpoint);
    let holdsEndpointSlot = true;
    // The endpoint's slot bounds requests to it: it is free once the request is over, while the
    // outcome is still being recorded (the attempt keeps its lease and its overall slot until then).
    const freeEndpointSlot = () => {
      if (!holdsEndpointSlot) return;
      holdsEndpointSlot = false;
      slots.free(endpoint);
      startQueued(endpoint);
      if (constrained) kick();
    };
    const task = options
      .deliver(claimed, freeEndpointSlot)
      .then((decision) => {
        if (decision.kind === 'retry') kickIn(decision.delay_ms);
      })
      .catch((error: unknown) => {
        logger.error(
          { err: error, attempt_id: claimed.attempt_id },
          'recording an attempt failed; it is sent again when its lease runs out',
        );
      })
      .finally(() => {
        freeEndpointSlot();
        leases.drop(claimed.attempt_id);
        inFlight.delete(task);
        if (constrained) kick();
      });
    inFlight.add(task);
  }

  /** Gives attempts back in the background (awaited by stop). */
  function giveBack(ids: string[]): void {
    if (ids.length === 0) return;
    const released = releaseAttempts(options.pool, ids, leaseToken)
      .catch((error: unknown) =>
        logger.warn(
          { err: error },
          'giving back attempts failed; they are due again when their lease runs out',
        ),
      )
      .finally(() => releasing.delete(released));
    releasing.add(released);
  }

  /** Starts the endpoint's queued attempts its free slots allow; gives back those whose lease is too short now. */
  function startQueued(endpoint: string): void {
    const stale: string[] = [];
    for (let next = slots.next(endpoint); next; next = slots.next(endpoint)) {
      // A lease that renewals could not keep up (the database out of reach) is given back rather
      // than risk a second dispatcher sending the attempt too.
      const id = next.attempt_id;
      if (stopping || leases.left_ms(id) < LEASE_MARGIN_MS) {
        stale.push(id);
        leases.drop(id);
      } else start(next);
    }
    giveBack(stale);
  }

  /** Claims what there is room for; returns whether more may be due right now. */
  async function claimOnce(): Promise<boolean> {
    const room = Math.min(
      options.concurrencyMax - inFlight.size - slots.queuedCount(),
      options.claimBatchMax,
    );
    const rooms = slots.rooms();
    constrained = room < options.claimBatchMax || rooms.some((r) => r.room <= 0);
    if (room <= 0) return false;
    const claimedAt = Date.now();
    const claimed = await claimDueAttempts(options.pool, {
      sourceTopic: options.sourceTopic,
      limit: room,
      rooms,
      endpointRoomMax: slots.endpointRoomMax,
      endpointsScanMax: options.endpointsScanMax,
      lease_ms: options.lease_ms,
      leaseToken,
    });
    // Requests only end while the claim runs, so what came back fits; only stopping gives back.
    const excess: string[] = [];
    const touched = new Set<string>();
    for (const attempt of claimed) {
      const endpoint = attempt.endpoint_id;
      if (stopping) excess.push(attempt.attempt_id);
      else if (slots.full(endpoint)) {
        excess.push(attempt.attempt_id);
        logger.error({ endpoint_id: endpoint }, 'assertion: claimed beyond an endpoint room');
      } else {
        slots.enqueue(attempt);
        leases.hold(attempt.attempt_id, claimedAt);
        touched.add(endpoint);
      }
    }
    for (const endpoint of touched) startQueued(endpoint);
    await releaseAttempts(options.pool, excess, leaseToken);
    constrained = constrained || slots.rooms().some((r) => r.room <= 0);
    // Fewer rows than room: either nothing more is due, or the endpoints with due work are full
    // (then a request ending kicks the loop).
    return claimed.length === room && inFlight.size + slots.queuedCount() < options.concurrencyMax;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const more = await claimOnce();
        failures = 0;
        if (!more) await pause.sleep(options.pollInterval_ms);
      } catch (error) {
        failures++;
        const wait = backoffDelay(failures, CLAIM_FAILURE);
        logger.error({ err: error, wait_ms: wait }, 'claiming attempts failed; retrying');
        await pause.sleep(wait);
      }
    }
  }

  return {
    start(): void {
      loop = run();
      leases.start();
    },
    /** Look now: attempts were just scheduled. */
    kick,
    /** Attempts in flight in this process (for tests and metrics). */
    inFlight: () => inFlight.size,
    /** Claimed attempts waiting for their endpoint's slot (for tests and metrics). */
    queued: () => slots.queuedCount(),
    /** Stops claiming, gives back the queued attempts, waits for those in flight to finish and be recorded. */
    async stop(): Promise<void> {
      stopping = true;
      pause.stop();
      await loop;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const waiting = slots.takeAllQueued().map((attempt) => attempt.attempt_id);
      for (const id of waiting) leases.drop(id);
      await releaseAttempts(options.pool, waiting, leaseToken).catch((error: unknown) =>
        logger.warn(
          { err: error },
          'giving back queued attempts failed; they are due again when their lease runs out',
        ),
      );
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...releasing]);
      await leases.stop();
    },
  };
}
