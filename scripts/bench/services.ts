import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface Service {
  name: string;
  child: ChildProcess;
  /** Largest resident set seen per process (the service and its cluster workers), in MB. */
  peakRssMb: () => number;
  stop: () => Promise<void>;
}

const rssKb = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
};

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

/**
 * Starts a compiled service with its own environment, logging to .data/logs/bench-<name>.log.
 * BENCH_NODE_FLAGS adds Node flags to the services only, for profiling (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" or "--trace-gc"), which Node refuses in NODE_OPTIONS.
 */
export function startService(name: string, entry: string, env: NodeJS.ProcessEnv): Service {
  const log = createWriteStream(path.join(ROOT, '.data', 'logs', `bench-${name}.log`));
  const flags = env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, path.join(ROOT, 'dist', entry)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let peakKb = 0;
  const sampler = setInterval(() => {
    for (const pid of [child.pid!, ...childrenOf(child.pid!)]) peakKb = Math.max(peakKb, rssKb(pid));
  }, 250);
  return {
    name,
    child,
    peakRssMb: () => Math.round(peakKb / 1024),
    stop: () =>
      new Promise((resolve) => {
        clearInterval(sampler);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
