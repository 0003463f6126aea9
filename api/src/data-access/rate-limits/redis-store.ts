import type { Redis } from '../../../../platform/redis';
import { keysOf, type Decision, type DecisionStore } from '../../domain/rate-limits/decision';
import { cellsOf, type BlockSettings, type Limit } from '../../domain/rate-limits/policies';

/**
 * gcra.ts's algorithm as one Lua script: the block check, every limit of the request (the API
 * key's and its tenant's ceiling) and the charge are one atomic step in Redis, one round trip,
 * exact however many API processes share it. Time is Redis's own (TIME), so the processes'
 * clocks do not matter. Every key written gets an expiry in the same step.
 *
 * KEYS: per limit, its cells, block and offences keys.
 * ARGV: limit count, block periods (ms, comma-separated), offence memory (ms), then per limit
 *       interval, soft and hard capacity (µs).
 * Returns {outcome (0 admitted, 1 limited, 2 blocked), blocking index (1-based) or 0,
 *          wait ms (limited) or block ms left (blocked), offence, pressure (per mille),
 *          then per limit remaining and reset ms}.
 */
export const DECIDE_LUA = `
local n = tonumber(ARGV[1])
local periods = {}
for p in string.gmatch(ARGV[2], '%d+') do periods[#periods + 1] = tonumber(p) end
local memory_ms = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local function fmt(x) return string.format('%.0f', x) end
local function ttl(until_us) return math.max(1, math.ceil((until_us - now) / 1000)) end

for i = 1, n do
  local left = redis.call('PTTL', KEYS[3 * i - 1])
  if left > 0 then
    local offence = tonumber(redis.call('GET', KEYS[3 * i - 1])) or 1
    return {2, i, left, offence, 0}
  end
end

local interval, soft, hard, tat, att = {}, {}, {}, {}, {}
local admit = true
for i = 1, n do
  local b = 4 + (i - 1) * 3
  interval[i], soft[i], hard[i] = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  local stored = redis.call('HMGET', KEYS[3 * i - 2], 't', 'a')
  tat[i] = math.max(tonumber(stored[1]) or 0, now)
  att[i] = math.max(tonumber(stored[2]) or 0, now)
  if tat[i] + interval[i] - now > soft[i] then admit = false end
end

for i = 1, n do
  if att[i] + interval[i] - now > hard[i] then
    local offence = redis.call('INCR', KEYS[3 * i])
    redis.call('PEXPIRE', KEYS[3 * i], memory_ms)
    local period = periods[math.min(offence, #periods)]
    redis.call('SET', KEYS[3 * i - 1], offence, 'PX', period)
    redis.call('HSET', KEYS[3 * i - 2], 't', fmt(tat[i]), 'a', fmt(tat[i]))
    redis.call('PEXPIRE', KEYS[3 * i - 2], ttl(tat[i]))
    return {2, i, period, offence, 0}
  end
end

local wait, pressure = 0, 0
local out = {admit and 0 or 1, 0, 0, 0, 0}
for i = 1, n do
  local t = tat[i]
  if admit then t = t + interval[i] end
  local a = att[i] + interval[i]
  redis.call('HSET', KEYS[3 * i - 2], 't', fmt(t), 'a', fmt(a))
  redis.call('PEXPIRE', KEYS[3 * i - 2], ttl(math.max(t, a)))
  if not admit and tat[i] + interval[i] - now > soft[i] then
    wait = math.max(wait, tat[i] + interval[i] - now - soft[i])
    local span = hard[i] - soft[i]
    local p = 1
    if span > 0 then p = math.min(1, (a - now - soft[i]) / span) end
    pressure = math.max(pressure, p)
  end
  out[#out + 1] = math.max(0, math.floor((soft[i] - (t - now)) / interval[i]))
  out[#out + 1] = math.ceil((t - now) / 1000)
end
out[3] = math.ceil(wait / 1000)
out[5] = math.floor(pressure * 1000)
return out
`;

type DecideCommand = (...args: Array<string | number>) => Promise<number[]>;

/** The script registered on the client (EVALSHA, loaded again by ioredis on NOSCRIPT). */
export function createRedisStore(
  redis: Redis,
  settings: { prefix: string; hard_pct: number; blocks: BlockSettings },
): DecisionStore {
  if (!('ledgerRateLimit' in redis)) redis.defineCommand('ledgerRateLimit', { lua: DECIDE_LUA });
  // defineCommand adds the method at run time; ioredis cannot type it.
  const command = (redis as unknown as { ledgerRateLimit: DecideCommand }).ledgerRateLimit.bind(redis);
  const periods = settings.blocks.periods_ms.join(',');
  return {
    async decide(limits: Limit[]): Promise<Decision> {
      const keys: string[] = [];
      const args: Array<string | number> = [limits.length, periods, settings.blocks.offence_memory_ms];
      for (const limit of limits) {
        const k = keysOf(limit);
        keys.push(
          `${settings.prefix}:${k.cells}`,
          `${settings.prefix}:${k.block}`,
          `${settings.prefix}:${k.offences}`,
        );
        const c = cellsOf(limit.policy, settings.hard_pct);
        args.push(c.interval_us, c.soft_us, c.hard_us);
      }
      const r = await command(keys.length, ...keys, ...args);
      const [outcome, index, ms, offence, permille] = r.map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      if (outcome === 2) return { outcome: 'blocked', index: index - 1, left_ms: ms, offence };
      const states = limits.map((_, i) => ({
        remaining: Number(r[5 + 2 * i]),
        reset_ms: Number(r[6 + 2 * i]),
      }));
      if (outcome === 0) return { outcome: 'admitted', limits: states };
      return { outcome: 'limited', limits: states, wait_ms: ms, pressure: permille / 1000 };
    },
  };
}
