import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Busy, stolen and total CPU time of the whole machine (all cores), in clock ticks, from /proc/stat. */
function machineTicks(): { busy: number; steal: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, steal, total: busy + idle + iowait };
}

/** The part of the system a process belongs to, from its command line. */
function groupOf(pid: number, cmdline: string): string {
  if (pid === process.pid) return 'bench (load, receivers)';
  if (/dist\/api\//.test(cmdline)) return 'api';
  if (/dist\/processor\//.test(cmdline)) return 'processor';
  if (/dist\/webhook-dispatcher\//.test(cmdline)) return 'dispatcher';
  if (/kafka/i.test(cmdline) && /java/.test(cmdline)) return 'kafka';
  if (/^postgres/.test(cmdline) || /\/postgres(\0|$)/.test(cmdline)) return 'postgres';
  if (/redis-server/.test(cmdline)) return 'redis';
  return 'other';
}

/** CPU ticks (user + system) of every live process, keyed by pid, with its group and parent. */
function processTicks(): Map<number, { group: string; ticks: number; parent: number }> {
  const result = new Map<number, { group: string; ticks: number; parent: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name, which may itself hold spaces.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]); // utime, stime
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      result.set(pid, { group: groupOf(pid, cmdline), ticks, parent: Number(rest[1]) });
    } catch {
      // the process ended between listing and reading
    }
  }
  return result;
}

export interface CpuCost {
  /** Busy share of all cores during the stretch. */
  busyPct: number;
  /**
   * Share of all cores the hypervisor gave to other guests while this one wanted to run (part of
   * busy): when it is high, everything here ran slower, and the figures say more about the
   * neighbours than about the system.
   */
  stealPct: number;
  /** Machine CPU milliseconds per unit of work done. */
  msPerUnit: number;
  /** Machine CPU milliseconds of the whole stretch, unrounded (for ratios between profiles). */
  busyMs: number;
  /** The same, split by the part of the system that spent it (processes alive at both ends). */
  msPerUnitBy: Record<string, number>;
}

const msPer = (ticks: number, units: number) =>
  units > 0 ? Math.round((100 * ((ticks * 1000) / TICKS_PER_SECOND)) / units) / 100 : 0;

/**
 * Measures what a stretch of the benchmark cost the whole machine: every process on it
 * (Kafka, PostgreSQL, Redis, the services and the load generator) shares the same cores, so
 * CPU time per transfer is the figure that carries over to other machines, and its split by
 * process shows where it goes.
 */
export function machineCpu() {
  const start = machineTicks();
  const startProcesses = processTicks();
  return {
    stop(units: number): CpuCost {
      const end = machineTicks();
      const byGroup: Record<string, number> = {};
      for (const [pid, now] of processTicks()) {
        // A process started during the stretch counts from zero.
        const before = startProcesses.get(pid)?.ticks ?? 0;
        byGroup[now.group] = (byGroup[now.group] ?? 0) + now.ticks - before;
      }
      const busy = end.busy - start.busy;
      const total = end.total - start.total;
      // Kernel work not charged to a process (e.g. loopback network softirqs), and processes that
      // ended during the stretch.
      const attributed = Object.values(byGroup).reduce((a, b) => a + b, 0);
      byGroup['kernel, ended processes'] = Math.max(0, busy - attributed);
      return {
        busyPct: total > 0 ? Math.round((100 * busy) / total) : 0,
        stealPct: total > 0 ? Math.round((100 * (end.steal - start.steal)) / total) : 0,
        msPerUnit: Math.round(10 * msPer(busy, units)) / 10,
        busyMs: (busy * 1000) / TICKS_PER_SECOND,
        msPerUnitBy: Object.fromEntries(
          Object.entries(byGroup)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([group, ticks]) => [group, msPer(ticks, units)]),
        ),
      };
    },
  };
}

/** CPU ticks of a process and its children (a service's primary and its cluster workers). */
function treeTicks(root: number): number {
  let ticks = 0;
  for (const [pid, p] of processTicks()) if (pid === root || p.parent === root) ticks += p.ticks;
  return ticks;
}

/** What one service (its primary and its workers) spent during a stretch: CPU ms per unit of work. */
export function serviceCpu(root: number) {
  const start = treeTicks(root);
  return {
    stop: (units: number): number =>
      units > 0 ? Math.round(((treeTicks(root) - start) * 1000 * 1000) / TICKS_PER_SECOND / units) / 1000 : 0,
  };
}
