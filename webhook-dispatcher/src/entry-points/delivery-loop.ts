import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import {
  claimDueAttempts,
  releaseAttempts,
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
  /** How long a claim holds; longer than the HTTP timeout. */
  lease_ms: number;
}

/** Retries of this size or shorter get a timer of their own instead of waiting for the poll. */
const LOCAL_TIMER_MAX_MS = 60_000;
/**
 * Endpoints with scheduled attempts one claim looks at (in id order). Far above what one
 * dispatcher serves at once; past it, endpoints later in id order wait for the ones before.
 */
const ENDPOINTS_SCAN_MAX = 10_000;

/**
 * The queue entry point: claims due attempts from PostgreSQL and sends them concurrently, at
 * most concurrencyMax at once and endpointConcurrencyMax per endpoint, so a slow or hanging
 * endpoint only ever holds its own slots (no head-of-line blocking). The claim is told each
 * endpoint's free slots and takes no more than that, so a full endpoint is left out of it and
 * nothing claimed has to be given back (except when stopping).
 */
export function createDeliveryLoop(options: DeliveryLoopOptions) {
  const { logger } = options;
  const leaseToken = randomUUID();
  const perEndpoint = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  /** Work may be due that the last claim did not see (new messages, a retry's time came). */
  let kicked = false;
  /** The last claim was held back by room (overall or per endpoint): a freed slot is worth a look. */
  let constrained = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const kick = () => {
    kicked = true;
    wake?.();
  };
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (kicked || stopping) {
        kicked = false;
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        kicked = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

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
        inFlight.delete(task);
        if (constrained) kick();
      });
    inFlight.add(task);
  }

  /** Claims what there is room for; returns whether more may be due right now. */
  async function claimOnce(): Promise<boolean> {
    const room = Math.min(options.concurrencyMax - inFlight.size, options.claimBatchMax);
    const rooms: EndpointRoom[] = [...perEndpoint].map(([endpoint_id, n]) => ({
      endpoint_id,
      room: options.endpointConcurrencyMax - n,
    }));
    const endpointsFull = rooms.some((r) => r.room <= 0);
    constrained = room < options.claimBatchMax || endpointsFull;
    if (room <= 0) return false;
    const claimed = await claimDueAttempts(options.pool, {
      sourceTopic: options.sourceTopic,
      limit: room,
      rooms,
      endpointRoomMax: options.endpointConcurrencyMax,
      endpointsScanMax: ENDPOINTS_SCAN_MAX,
      lease_ms: options.lease_ms,
      leaseToken,
    });
    // Slots only free up while the claim runs, so what came back fits; only stopping gives back.
    const excess: string[] = [];
    for (const attempt of claimed) {
      if (stopping) excess.push(attempt.attempt_id);
      else if ((perEndpoint.get(attempt.endpoint_id) ?? 0) >= options.endpointConcurrencyMax) {
        excess.push(attempt.attempt_id);
        logger.error({ endpoint_id: attempt.endpoint_id }, 'assertion: claimed beyond an endpoint room');
      } else start(attempt);
    }
    await releaseAttempts(options.pool, excess, leaseToken);
    constrained = constrained || [...perEndpoint.values()].some((n) => n >= options.endpointConcurrencyMax);
    // Fewer rows than room: either nothing more is due, or the endpoints with due work are full
    // (then a freed slot kicks the loop).
    return claimed.length === room && inFlight.size < options.concurrencyMax;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const more = await claimOnce();
        failures = 0;
        if (!more) await idle(options.pollInterval_ms);
      } catch (error) {
        failures++;
        const wait = Math.min(5_000, 50 * 2 ** Math.min(failures, 10));
        logger.error({ err: error, wait_ms: wait }, 'claiming attempts failed; retrying');
        await idle(wait);
      }
    }
  }

  return {
    start(): void {
      loop = run();
    },
    /** Look now: attempts were just scheduled. */
    kick,
    /** Attempts in flight in this process (for tests and metrics). */
    inFlight: () => inFlight.size,
    /** Stops claiming, waits for the attempts in flight to finish and be recorded. */
    async stop(): Promise<void> {
      stopping = true;
      kick();
      await loop;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
