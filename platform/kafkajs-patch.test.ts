// kafkajs 2.2.4 (its last release) ran a 1 ms timer loop per broker connection whenever nothing
// was queued: ≈ 50 ms of CPU per second per idle process here, and TimeoutNegativeWarning on
// Node 24. patches/kafkajs+2.2.4.patch (applied by patch-package on install) stops it; this
// fails when an install did not apply it.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, without types
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('kafkajs request queue (patched)', () => {
  const queue = () =>
    new RequestQueue({
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: '127.0.0.1:0',
      logger,
    });

  it('schedules no check while nothing is queued or throttled', () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    const scheduled = q.throttleCheckTimeoutId;
    if (scheduled) clearTimeout(scheduled); // unpatched, it would re-arm itself forever
    q.destroy();
    expect(scheduled).toBeNull();
  });

  it('still schedules a check for a queued request', () => {
    const q = queue();
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
    q.pending.length = 0;
    q.destroy();
  });
});
