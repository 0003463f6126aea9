import { readFileSync } from 'node:fs';

/** Busy and total CPU time of the whole machine (all cores), in clock ticks, from /proc/stat. */
function sample(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * Measures what a stretch of the benchmark cost the whole machine: every process on it
 * (Kafka, PostgreSQL, Redis, the services and the load generator) shares the same cores, so
 * CPU time per transfer is the figure that carries over to other machines.
 */
export function machineCpu() {
  const start = sample();
  return {
    /** Busy share of all cores, and CPU milliseconds spent per unit of work done. */
    stop(units: number): { busyPct: number; msPerUnit: number } {
      const end = sample();
      const busy = end.busy - start.busy;
      const total = end.total - start.total;
      return {
        busyPct: total > 0 ? Math.round((100 * busy) / total) : 0,
        msPerUnit: units > 0 ? Math.round((10 * ((busy * 1000) / TICKS_PER_SECOND)) / units) / 10 : 0,
      };
    },
  };
}
