import type { ClaimedAttempt, EndpointRoom } from '../data-access/attempt-claims';

/**
 * The per-endpoint concurrency limiter of the delivery loop: how many requests are in flight to
 * each endpoint, and the claimed attempts waiting for one of its slots (oldest first). Plain
 * bookkeeping, no I/O: the loop decides what to send and when; this only says what fits.
 */
export function createEndpointSlots(options: {
  /** Requests in flight to one endpoint. */
  endpointConcurrencyMax: number;
  /** Attempts claimed ahead per endpoint, waiting for its slots. */
  aheadPerEndpoint: number;
}) {
  const perEndpoint = new Map<string, number>();
  const queued = new Map<string, ClaimedAttempt[]>();
  let queuedCount = 0;
  /** Room an endpoint has when this dispatcher holds nothing of it: its slots plus the attempts claimed ahead. */
  const endpointRoomMax = options.endpointConcurrencyMax + options.aheadPerEndpoint;

  const held = (endpoint: string) => (perEndpoint.get(endpoint) ?? 0) + (queued.get(endpoint)?.length ?? 0);

  return {
    endpointRoomMax,
    /** Claimed attempts waiting for their endpoint's slot. */
    queuedCount: () => queuedCount,
    /** The room of every endpoint this dispatcher holds attempts of (any other has endpointRoomMax). */
    rooms(): EndpointRoom[] {
      const endpoints = new Set([...perEndpoint.keys(), ...queued.keys()]);
      return [...endpoints].map((endpoint_id) => ({
        endpoint_id,
        room: endpointRoomMax - held(endpoint_id),
      }));
    },
    /** Whether the endpoint holds all it may (in flight and queued). */
    full: (endpoint: string) => held(endpoint) >= endpointRoomMax,
    /** Takes one of the endpoint's slots for a request. */
    occupy(endpoint: string): void {
      perEndpoint.set(endpoint, (perEndpoint.get(endpoint) ?? 0) + 1);
    },
    /** Gives one of the endpoint's slots back (its request is over). */
    free(endpoint: string): void {
      const left = (perEndpoint.get(endpoint) ?? 1) - 1;
      if (left === 0) perEndpoint.delete(endpoint);
      else perEndpoint.set(endpoint, left);
    },
    /** Queues a claimed attempt until its endpoint has a free slot. */
    enqueue(attempt: ClaimedAttempt): void {
      const queue = queued.get(attempt.endpoint_id) ?? [];
      queue.push(attempt);
      queued.set(attempt.endpoint_id, queue);
      queuedCount++;
    },
    /** Takes the next queued attempt of the endpoint if one of its slots is free (the caller occupies it). */
    next(endpoint: string): ClaimedAttempt | undefined {
      const queue = queued.get(endpoint);
      if (!queue || (perEndpoint.get(endpoint) ?? 0) >= options.endpointConcurrencyMax) return undefined;
      const attempt = queue.shift();
      if (queue.length === 0) queued.delete(endpoint);
      if (attempt) queuedCount--;
      return attempt;
    },
    /** Empties every queue (stopping); returns what was in them. */
    takeAllQueued(): ClaimedAttempt[] {
      const all = [...queued.values()].flat();
      queued.clear();
      queuedCount = 0;
      return all;
    },
  };
}

export type EndpointSlots = ReturnType<typeof createEndpointSlots>;
