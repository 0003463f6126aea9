import { randomUUID } from 'node:crypto';
import { createTickBatcher } from '../../../../platform/tick-batcher';
import type { Redis } from '../../../../platform/redis';
import { cellsKeyOf, keysOf, type Decision, type DecisionStore } from '../../domain/rate-limits/decision';
import { cellsOf, type BlockSettings, type Limit } from '../../domain/rate-limits/policies';
import { createLeases, LEASE_ROOM_MIN, LEASE_ROOM_SHARE, type OpenedLease } from './leases';

/**
 * gcra.ts's algorithm as one Lua script that decides a batch of requests in order, each exactly
 * as if it had been sent alone: the block check, every limit of the request (the API key's and
 * its tenant's ceiling) and the charge, all in one atomic step in Redis, exact however many API
 * processes share it. Time is Redis's own (TIME), so the processes' clocks do not matter. Each
 * limit's and each subject's state is read once per call and kept in Lua tables while the
 * batch is decided, so a request sees the charges and blocks of those before it; every key
 * written gets an expiry in the same step.
 *
 * Leases (leases.ts): after the batch, a limit with plenty of room may hand the calling process
 * a few of its tokens to spend without asking, charged now and recorded in the limit's hash
 * under the process's field (`tokens:end_us`). Until a lease ends, the limit's level is kept at
 * most its quota minus every other lease (the floor on `tat`), so the tokens left in Redis and
 * those in the processes' hands never add up to more than the quota: no admission beyond the
 * burst. A process's next call for the limit settles its lease: it either closes it, giving back
 * what it did not spend (at most what the lease held), or, while the lease is live, renews it:
 * the tokens the process keeps stay under the floor and, like any new ones, last a new lease
 * period. A blocked subject's lease is neither given nor renewed.
 *
 * KEYS: the cells key of each distinct limit (G of them), then the block and offences keys of
 *       each distinct subject.
 * ARGV: block periods (ms, comma-separated), offence memory (ms), G, request count, the calling
 *       process's lease field, lease duration (µs), then per limit interval, soft and hard
 *       capacity (µs), its subject's index (1-based), whether this call settles the process's
 *       lease (1/0), the tokens it gives back, the tokens it keeps, and the tokens it asks for;
 *       then per request its number of limits followed by their indexes (1-based). A call may
 *       name limits no request names: it only renews their leases.
 * Returns, per request in order: outcome (0 admitted, 1 limited, 2 blocked), blocking limit of
 *       the request (1-based) or 0, wait ms (limited) or block ms left (blocked), offence,
 *       pressure (per mille); then, unless blocked, per limit remaining and reset ms. Then per
 *       limit: tokens leased to the caller, tokens it may keep, and remaining and reset ms after.
 */
export const DECIDE_LUA = `
local periods = {}
for p in string.gmatch(ARGV[1], '%d+') do periods[#periods + 1] = tonumber(p) end
local memory_ms = tonumber(ARGV[2])
local g = tonumber(ARGV[3])
local requests = tonumber(ARGV[4])
local own = ARGV[5]
local lease_us = tonumber(ARGV[6])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local function fmt(x) return string.format('%.0f', x) end

local interval, soft, hard, subject, settles, back, keeps, asks = {}, {}, {}, {}, {}, {}, {}, {}
for i = 1, g do
  local b = 7 + (i - 1) * 8
  interval[i], soft[i], hard[i] = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  subject[i] = tonumber(ARGV[b + 3])
  settles[i], back[i] = ARGV[b + 4] == '1', tonumber(ARGV[b + 5])
  keeps[i], asks[i] = tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])
end

local tat, att, written = {}, {}, {}
local leases_end, stale, owned, kept = {}, {}, {}, {}
local block_left, offence = {}, {}
local function load(i)
  if tat[i] then return end
  local h = redis.call('HGETALL', KEYS[i])
  local t, a, others, ends, held, held_end = 0, 0, 0, 0, 0, 0
  stale[i] = {}
  for x = 1, #h, 2 do
    local f, v = h[x], h[x + 1]
    if f == 't' then t = tonumber(v)
    elseif f == 'a' then a = tonumber(v)
    else
      local sep = string.find(v, ':', 1, true)
      local tokens, lease_end = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
      if f == own and settles[i] then held, held_end = tokens, lease_end
      elseif lease_end > now then others, ends = others + tokens, math.max(ends, lease_end)
      else stale[i][#stale[i] + 1] = f end
    end
  end
  -- Kept tokens are still the process's to spend: under the floor like the others' leases.
  kept[i] = 0
  if held_end > now then kept[i] = math.min(keeps[i], held) end
  local refund = math.min(back[i], held) * interval[i]
  tat[i] = math.max(t - refund, now + (others + kept[i]) * interval[i])
  att[i] = math.max(a - refund, now)
  leases_end[i], owned[i] = ends, held > 0
  if refund > 0 or #stale[i] > 0 then written[i] = true end
  local s = subject[i]
  if block_left[s] then return end
  local block_key = KEYS[g + 2 * s - 1]
  local left = redis.call('PTTL', block_key)
  if left > 0 then
    block_left[s] = left
    offence[s] = tonumber(redis.call('GET', block_key)) or 1
  else
    block_left[s] = 0
  end
end

local out, k = {}, 0
local function push5(a, b, c, d, e)
  out[k + 1], out[k + 2], out[k + 3], out[k + 4], out[k + 5] = a, b, c, d, e
  k = k + 5
end
local ids = {}
local pos = 7 + g * 8
for _ = 1, requests do
  local n = tonumber(ARGV[pos])
  for j = 1, n do
    ids[j] = tonumber(ARGV[pos + j])
    load(ids[j])
  end
  pos = pos + n + 1

  local decided = false
  for j = 1, n do
    local s = subject[ids[j]]
    if block_left[s] > 0 then
      push5(2, j, block_left[s], offence[s], 0)
      decided = true
      break
    end
  end

  local admit = true
  if not decided then
    for j = 1, n do
      local i = ids[j]
      if tat[i] + interval[i] - now > soft[i] then admit = false end
    end
    for j = 1, n do
      local i = ids[j]
      if att[i] + interval[i] - now > hard[i] then
        local s = subject[i]
        local offences_key = KEYS[g + 2 * s]
        local o = redis.call('INCR', offences_key)
        redis.call('PEXPIRE', offences_key, memory_ms)
        local period = periods[math.min(o, #periods)]
        redis.call('SET', KEYS[g + 2 * s - 1], o, 'PX', period)
        block_left[s], offence[s] = period, o
        att[i] = tat[i]
        written[i] = true
        push5(2, j, period, o, 0)
        decided = true
        break
      end
    end
  end

  if not decided then
    local head = k
    push5(admit and 0 or 1, 0, 0, 0, 0)
    local wait, pressure = 0, 0
    for j = 1, n do
      local i = ids[j]
      local before = tat[i]
      if admit then tat[i] = before + interval[i] end
      att[i] = att[i] + interval[i]
      written[i] = true
      if not admit and before + interval[i] - now > soft[i] then
        wait = math.max(wait, before + interval[i] - now - soft[i])
        local span = hard[i] - soft[i]
        local p = 1
        if span > 0 then p = math.min(1, (att[i] - now - soft[i]) / span) end
        pressure = math.max(pressure, p)
      end
      out[k + 1] = math.max(0, math.floor((soft[i] - (tat[i] - now)) / interval[i]))
      out[k + 2] = math.ceil((tat[i] - now) / 1000)
      k = k + 2
    end
    out[head + 3] = math.ceil(wait / 1000)
    out[head + 5] = math.floor(pressure * 1000)
  end
end

-- Leases: only out of plenty (at least ${LEASE_ROOM_MIN} tokens of room, at most 1/${LEASE_ROOM_SHARE} of it),
-- never to a blocked subject (whose kept tokens are dropped too), never past the hard limit.
for i = 1, g do
  load(i)
  local give = 0
  if block_left[subject[i]] > 0 then kept[i] = 0 end
  if settles[i] and asks[i] > 0 and block_left[subject[i]] == 0 then
    local room = math.floor((soft[i] - (tat[i] - now)) / interval[i])
    local attempts = math.floor((hard[i] - (att[i] - now)) / interval[i]) - 1
    if room >= ${LEASE_ROOM_MIN} then
      give = math.min(asks[i], math.floor(room / ${LEASE_ROOM_SHARE}), attempts)
    end
  end
  if give < 2 then give = 0 end
  if give > 0 then
    tat[i] = tat[i] + give * interval[i]
    att[i] = att[i] + give * interval[i]
    written[i] = true
  end
  if give + kept[i] > 0 then
    redis.call('HSET', KEYS[i], own, (give + kept[i]) .. ':' .. fmt(now + lease_us))
    leases_end[i] = math.max(leases_end[i], now + lease_us)
    written[i] = true
  elseif owned[i] then
    redis.call('HDEL', KEYS[i], own)
  end
  out[k + 1], out[k + 2] = give, kept[i]
  out[k + 3] = math.max(0, math.floor((soft[i] - (tat[i] - now)) / interval[i]))
  out[k + 4] = math.ceil((tat[i] - now) / 1000)
  k = k + 4
end

for i = 1, g do
  if written[i] then
    redis.call('HSET', KEYS[i], 't', fmt(tat[i]), 'a', fmt(att[i]))
    if #stale[i] > 0 then redis.call('HDEL', KEYS[i], unpack(stale[i])) end
    local last = math.max(tat[i], att[i], leases_end[i])
    redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil((last - now) / 1000)))
  end
end
return out
`;

type DecideCommand = (...args: Array<string | number>) => Promise<number[]>;

/** Decisions asked for at once: one script call, one round trip, at most this many requests. */
const BATCH_MAX = 256;

/**
 * One request waiting for the next script call, its limits and their keys in Redis; or, with
 * `renew`, no request: only the leases of these limits to renew (its answer is undefined).
 */
interface Asked {
  limits: Limit[];
  keys: string[];
  renew?: true;
}

/**
 * The script registered on the client (EVALSHA, loaded again by ioredis on NOSCRIPT), called once
 * per turn of the event loop for every decision asked for in that turn: under load one round trip
 * for many requests (each call a socket write on both sides and a script run in Redis), and no
 * request waits for an earlier call to return, since the time a request waits here is time it
 * holds everything behind it. If a call fails, every request of it gets the error (and the
 * limiter decides them in memory).
 *
 * With `lease_ms` > 0, a busy limit's requests are admitted from a lease (leases.ts), renewed by a
 * call of its own before it runs out: no round trip for them at all. 0 decides every request in
 * Redis.
 */
export function createRedisStore(
  redis: Redis,
  settings: { prefix: string; hard_pct: number; blocks: BlockSettings; lease_ms?: number },
): DecisionStore {
  if (!('ledgerRateLimit' in redis)) redis.defineCommand('ledgerRateLimit', { lua: DECIDE_LUA });
  // defineCommand adds the method at run time; ioredis cannot type it.
  const command = (redis as unknown as { ledgerRateLimit: DecideCommand }).ledgerRateLimit.bind(redis);
  const periods = settings.blocks.periods_ms.join(',');
  const { prefix } = settings;
  const leases = createLeases({ lease_ms: settings.lease_ms ?? 0 });
  // This process's field in the hash of every limit it leases from; a restarted process is a new one.
  const leaseField = `l:${randomUUID()}`;
  const lease_us = Math.round((settings.lease_ms ?? 0) * 1_000);
  const redisCellsKeyOf = (limit: Limit) => `${prefix}:${cellsKeyOf(limit)}`;

  const decideBatch = async (asked: Asked[]): Promise<Array<Decision | undefined>> => {
    const limitIndex = new Map<string, number>();
    const subjectIndex = new Map<string, number>();
    const cellKeys: string[] = [];
    const subjectKeys: string[] = [];
    const limitArgs: number[] = [];
    const opened: OpenedLease[] = [];
    const requestArgs: number[] = [];
    const sent = performance.now();
    let requests = 0;
    for (const { limits, keys, renew } of asked) {
      if (!renew) {
        requests++;
        requestArgs.push(limits.length);
      }
      for (const [l, limit] of limits.entries()) {
        const cells = keys[l]!;
        let index = limitIndex.get(cells);
        if (index === undefined) {
          const k = keysOf(limit);
          let subject = subjectIndex.get(k.block);
          if (subject === undefined) {
            subjectKeys.push(`${prefix}:${k.block}`, `${prefix}:${k.offences}`);
            subject = subjectKeys.length / 2;
            subjectIndex.set(k.block, subject);
          }
          cellKeys.push(cells);
          index = cellKeys.length;
          limitIndex.set(cells, index);
          const c = cellsOf(limit.policy, settings.hard_pct);
          const lease = leases.open(limit, sent);
          opened.push(lease);
          limitArgs.push(
            c.interval_us,
            c.soft_us,
            c.hard_us,
            subject,
            lease.settles ? 1 : 0,
            lease.back,
            lease.keeps,
            lease.asks,
          );
        }
        if (!renew) requestArgs.push(index);
      }
    }
    const keys = [...cellKeys, ...subjectKeys];
    let r: number[];
    try {
      r = await command(
        keys.length,
        ...keys,
        periods,
        settings.blocks.offence_memory_ms,
        cellKeys.length,
        requests,
        leaseField,
        lease_us,
        ...limitArgs,
        ...requestArgs,
      );
    } catch (error) {
      for (const lease of opened) lease.failed();
      throw error;
    }
    let at = 0;
    const decisions = asked.map(({ limits, renew }): Decision | undefined => {
      if (renew) return undefined;
      const [outcome, index, ms, offence, permille] = r.slice(at, at + 5).map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      at += 5;
      if (outcome === 2) {
        leases.drop(limits[index - 1]!);
        return { outcome: 'blocked', index: index - 1, left_ms: ms, offence };
      }
      const states = limits.map(() => {
        const state = { remaining: Number(r[at]), reset_ms: Number(r[at + 1]) };
        at += 2;
        return state;
      });
      if (outcome === 0) return { outcome: 'admitted', limits: states };
      return { outcome: 'limited', limits: states, wait_ms: ms, pressure: permille / 1000 };
    });
    for (const lease of opened) {
      lease.settle(
        sent,
        { give: Number(r[at]), kept: Number(r[at + 1]) },
        { remaining: Number(r[at + 2]), reset_ms: Number(r[at + 3]) },
      );
      at += 4;
    }
    return decisions;
  };

  const batcher = createTickBatcher(decideBatch, { batchSizeMax: BATCH_MAX });
  return {
    decide(limits) {
      if (leases.enabled) {
        const spent = leases.spend(limits, performance.now());
        if (spent) {
          // A failed renewal leaves the lease as it was, to end on time: nothing to do.
          if (spent.due)
            batcher.submit({ limits, keys: limits.map(redisCellsKeyOf), renew: true }).catch(() => {});
          return { outcome: 'admitted', limits: spent.states, leased: true };
        }
      }
      // Only renewals are answered undefined.
      return batcher.submit({ limits, keys: limits.map(redisCellsKeyOf) }) as Promise<Decision>;
    },
  };
}
