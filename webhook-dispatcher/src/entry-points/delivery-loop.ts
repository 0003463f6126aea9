import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import {
  claimDueAttempts,
  releaseAttempts,
  renewLeases,
  type ClaimedAttempt,
  type EndpointRoom,
} from '../data-access/attempts';
import type { Decision } from '../domain/attempt-outcome';

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
}

/** Retries of this size or shorter get a timer of their own instead of waiting for the poll. */
const LOCAL_TIMER_MAX_MS = 60_000;
/**
 * Endpoints with scheduled attempts one claim looks at (in id order). Far above what one
 * dispatcher serves at once; past it, endpoints later in id order wait for the ones before.
 */
const ENDPOINTS_SCAN_MAX = 10_000;
/** A claimed attempt waiting for its endpoint's slot is sent only with this much lease to spare. */
const LEASE_MARGIN_MS = 1_000;
/** Leases are renewed this many times per lease period. */
const RENEWALS_PER_LEASE = 3;

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
  /** Requests in flight per endpoint. */
  const perEndpoint = new Map<string, number>();
  /** Claimed attempts waiting for their endpoint's slot, oldest first. */
  const queued = new Map<string, Array<{ attempt: ClaimedAttempt }>>();
  let queuedCount = 0;
  /** Gives-back under way (awaited by stop, before the pool closes). */
  const releasing = new Set<Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  // Claiming ahead: leases are renewed while held, so an attempt may wait for its endpoint's slot.
  const aheadPerEndpoint = options.endpointConcurrencyMax;
  /** When each held attempt's lease (as last claimed or renewed) runs out, by attempt id. */
  const leaseUntil = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  /** Kicked when work may be due that the last claim did not see (new messages, a retry's time). */
  const pause = createWakeableSleep();
  const kick = pause.kick;
  const renewals = createWakeableSleep();
  let renewing: Promise<void> | undefined;
  let renewalsOver = false;
  /** The last claim was held back by room (overall or per endpoint): a freed slot is worth a look. */
  let constrained = false;
  let loop: Promise<void> | undefined;

  function kickIn(delay_ms: number): void {
    if (delay_ms > LOCAL_TIMER_MAX_MS) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      kick();
    }, delay_ms);
    timer.unref();
    timers.add(timer);
  }

  function start(claimed: ClaimedAttempt): void {
    const endpoint = claimed.endpoint_id;
    perEndpoint.set(endpoint, (perEndpoint.get(endpoint) ?? 0) + 1);
    let holdsEndpointSlot = true;
    // The endpoint's slot bounds requests to it: it is free once the request is over, while the
    // outcome is still being recorded (the attempt keeps its lease and its overall slot until then).
    const freeEndpointSlot = () => {
      if (!holdsEndpointSlot) return;
      holdsEndpointSlot = false;
      const left = (perEndpoint.get(endpoint) ?? 1) - 1;
      if (left === 0) perEndpoint.delete(endpoint);
      else perEndpoint.set(endpoint, left);
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
        leaseUntil.delete(claimed.attempt_id);
        inFlight.delete(task);
        if (constrained) kick();
      });
    inFlight.add(task);
  }

  /** Starts the endpoint's queued attempts its free slots allow; gives back those whose lease is too short now. */
  function startQueued(endpoint: string): void {
    const queue = queued.get(endpoint);
    if (!queue) return;
    const stale: string[] = [];
    while (queue.length > 0 && (perEndpoint.get(endpoint) ?? 0) < options.endpointConcurrencyMax) {
      const next = queue.shift()!;
      queuedCount--;
      // A lease that renewals could not keep up (the database out of reach) is given back rather
      // than risk a second dispatcher sending the attempt too.
      const id = next.attempt.attempt_id;
      const leaseLeft_ms = (leaseUntil.get(id) ?? 0) - Date.now();
      if (stopping || leaseLeft_ms < LEASE_MARGIN_MS) {
        stale.push(id);
        leaseUntil.delete(id);
      } else start(next.attempt);
    }
    if (queue.length === 0) queued.delete(endpoint);
    if (stale.length > 0) {
      const released = releaseAttempts(options.pool, stale, leaseToken)
        .catch((error: unknown) =>
          logger.warn(
            { err: error },
            'giving back attempts failed; they are due again when their lease runs out',
          ),
        )
        .finally(() => releasing.delete(released));
      releasing.add(released);
    }
  }

  /** Claims what there is room for; returns whether more may be due right now. */
  async function claimOnce(): Promise<boolean> {
    const room = Math.min(options.concurrencyMax - inFlight.size - queuedCount, options.claimBatchMax);
    const endpointRoomMax = options.endpointConcurrencyMax + aheadPerEndpoint;
    const held = new Map(perEndpoint);
    for (const [endpoint, queue] of queued) held.set(endpoint, (held.get(endpoint) ?? 0) + queue.length);
    const rooms: EndpointRoom[] = [...held].map(([endpoint_id, n]) => ({
      endpoint_id,
      room: endpointRoomMax - n,
    }));
    constrained = room < options.claimBatchMax || rooms.some((r) => r.room <= 0);
    if (room <= 0) return false;
    const claimedAt = Date.now();
    const claimed = await claimDueAttempts(options.pool, {
      sourceTopic: options.sourceTopic,
      limit: room,
      rooms,
      endpointRoomMax,
      endpointsScanMax: ENDPOINTS_SCAN_MAX,
      lease_ms: options.lease_ms,
      leaseToken,
    });
    // Requests only end while the claim runs, so what came back fits; only stopping gives back.
    const excess: string[] = [];
    const touched = new Set<string>();
    for (const attempt of claimed) {
      const endpoint = attempt.endpoint_id;
      const queue = queued.get(endpoint) ?? [];
      if (stopping) excess.push(attempt.attempt_id);
      else if ((perEndpoint.get(endpoint) ?? 0) + queue.length >= endpointRoomMax) {
        excess.push(attempt.attempt_id);
        logger.error({ endpoint_id: endpoint }, 'assertion: claimed beyond an endpoint room');
      } else {
        queue.push({ attempt });
        leaseUntil.set(attempt.attempt_id, claimedAt + options.lease_ms);
        queued.set(endpoint, queue);
        queuedCount++;
        touched.add(endpoint);
      }
    }
    for (const endpoint of touched) startQueued(endpoint);
    await releaseAttempts(options.pool, excess, leaseToken);
    constrained =
      constrained || [...perEndpoint].some(([e, n]) => n + (queued.get(e)?.length ?? 0) >= endpointRoomMax);
    // Fewer rows than room: either nothing more is due, or the endpoints with due work are full
    // (then a request ending kicks the loop).
    return claimed.length === room && inFlight.size + queuedCount < options.concurrencyMax;
  }

  /** Renews the leases of every attempt still held, every third of a lease, until the last one is recorded. */
  async function renewForever(): Promise<void> {
    while (!renewalsOver) {
      await renewals.sleep(options.lease_ms / RENEWALS_PER_LEASE, { kicks: false });
      const ids = [...leaseUntil.keys()];
      if (renewalsOver || ids.length === 0) continue;
      const renewedAt = Date.now();
      try {
        const held = await renewLeases(options.pool, ids, leaseToken, options.lease_ms);
        for (const id of held) if (leaseUntil.has(id)) leaseUntil.set(id, renewedAt + options.lease_ms);
      } catch (error) {
        logger.warn({ err: error, held: ids.length }, 'renewing leases failed; retrying');
      }
    }
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
        const wait = Math.min(5_000, 50 * 2 ** Math.min(failures, 10));
        logger.error({ err: error, wait_ms: wait }, 'claiming attempts failed; retrying');
        await pause.sleep(wait);
      }
    }
  }

  return {
    start(): void {
      loop = run();
      renewing = renewForever();
    },
    /** Look now: attempts were just scheduled. */
    kick,
    /** Attempts in flight in this process (for tests and metrics). */
    inFlight: () => inFlight.size,
    /** Claimed attempts waiting for their endpoint's slot (for tests and metrics). */
    queued: () => queuedCount,
    /** Stops claiming, gives back the queued attempts, waits for those in flight to finish and be recorded. */
    async stop(): Promise<void> {
      stopping = true;
      pause.stop();
      await loop;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const waiting = [...queued.values()].flat().map((q) => q.attempt.attempt_id);
      for (const id of waiting) leaseUntil.delete(id);
      queued.clear();
      queuedCount = 0;
      await releaseAttempts(options.pool, waiting, leaseToken).catch((error: unknown) =>
        logger.warn(
          { err: error },
          'giving back queued attempts failed; they are due again when their lease runs out',
        ),
      );
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...releasing]);
      renewalsOver = true;
      renewals.stop();
      await renewing;
      leaseUntil.clear();
    },
  };
}
