import { randomUUID } from 'node:crypto';
import { claimDueAttempts, type EndpointRoom } from '../../webhook-dispatcher/src/data-access/attempt-claims';
import { startHarness, type Harness } from './harness';

/**
 * The claim against the real database: each test writes due attempts under a source topic of its
 * own (what a dispatcher claims from), so tests never see each other's rows.
 */
describe('claiming due attempts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const endpointWithDue = (sourceTopic: string, count: number) =>
    h.endpointWithDueAttempts(sourceTopic, count);

  const claim = (
    sourceTopic: string,
    q: {
      limit: number;
      rooms?: EndpointRoom[];
      endpointRoomMax: number;
      endpointsScanMax?: number;
      scanFrom?: string | undefined;
    },
  ) =>
    claimDueAttempts(h.pool, {
      sourceTopic,
      limit: q.limit,
      rooms: q.rooms ?? [],
      endpointRoomMax: q.endpointRoomMax,
      endpointsScanMax: q.endpointsScanMax ?? 1_000,
      ...(q.scanFrom === undefined ? {} : { scanFrom: q.scanFrom }),
      lease_ms: 60_000,
      leaseToken: randomUUID(),
    });

  const countBy = (ids: string[]) => {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  };

  it('never takes more of an endpoint than its room: the free slots given, or the maximum for the others', async () => {
    const topic = `claim-${randomUUID()}`;
    const busy = await endpointWithDue(topic, 10);
    const idle = await endpointWithDue(topic, 10);

    const claimed = await claim(topic, {
      limit: 100,
      rooms: [{ endpoint_id: busy, room: 3 }],
      endpointRoomMax: 5,
    });

    const counts = countBy(claimed.map((c) => c.endpoint_id));
    expect(counts.get(busy)).toBe(3);
    expect(counts.get(idle)).toBe(5);
  });

  it('with more endpoints than one claim scans, goes round from its start so none is left out', async () => {
    const topic = `claim-${randomUUID()}`;
    const endpoints: string[] = [];
    for (let i = 0; i < 4; i++) endpoints.push(await endpointWithDue(topic, 1));
    const [e0, e1, e2, e3] = endpoints.sort();
    const scan = { limit: 10, endpointRoomMax: 5, endpointsScanMax: 2 };

    const first = await claim(topic, { ...scan, scanFrom: e1 });
    expect(first.map((c) => c.endpoint_id).sort()).toEqual([e2, e3]);
    // Past the last endpoint the scan wraps round to the first ones.
    const second = await claim(topic, { ...scan, scanFrom: e3 });
    expect(second.map((c) => c.endpoint_id).sort()).toEqual([e0, e1]);
  });

  it('a full endpoint with the oldest backlog does not stop the others being claimed', async () => {
    const topic = `claim-${randomUUID()}`;
    const full = await endpointWithDue(topic, 50);
    const other = await endpointWithDue(topic, 4);

    const claimed = await claim(topic, {
      limit: 8,
      rooms: [{ endpoint_id: full, room: 0 }],
      endpointRoomMax: 16,
    });

    expect(claimed.map((c) => c.endpoint_id)).toEqual([other, other, other, other]);
  });

  it('takes the oldest due first, at most `limit`, and nothing already leased', async () => {
    const topic = `claim-${randomUUID()}`;
    const older = await endpointWithDue(topic, 6);
    const newer = await endpointWithDue(topic, 6);

    const first = await claim(topic, { limit: 4, endpointRoomMax: 16 });
    const second = await claim(topic, { limit: 4, endpointRoomMax: 16 });

    expect(first.map((c) => c.endpoint_id)).toEqual([older, older, older, older]);
    expect(second.map((c) => c.endpoint_id).sort()).toEqual([older, older, newer, newer].sort());
    expect(new Set([...first, ...second].map((c) => c.attempt_id)).size).toBe(8);
  });

  it('two dispatchers claiming at the same time never get the same attempt', async () => {
    const topic = `claim-${randomUUID()}`;
    for (let i = 0; i < 4; i++) await endpointWithDue(topic, 25);

    const rounds = await Promise.all(
      Array.from({ length: 6 }, () => claim(topic, { limit: 30, endpointRoomMax: 8 })),
    );

    const ids = rounds.flat().map((c) => c.attempt_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Each round kept within the per-endpoint maximum.
    for (const round of rounds)
      for (const n of countBy(round.map((c) => c.endpoint_id)).values()) expect(n).toBeLessThanOrEqual(8);
  });
});
