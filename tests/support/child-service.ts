import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A port free on 127.0.0.1 right now (for a service told to listen on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ChildService {
  child: ChildProcess;
  /** Everything it wrote: its JSON log lines, and a crash's stack on stderr. */
  output: () => string;
  running: () => boolean;
  /** SIGTERM (a graceful stop, which also flushes spans), then its exit code. */
  stop: () => Promise<number | null>;
}

/** A service run from its TypeScript entry point (main.ts) as a child process: what `npm run up` starts. */
export function startService(entry: string, env: NodeJS.ProcessEnv): ChildService {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    running,
    stop: async () => {
      if (running()) child.kill('SIGTERM');
      return exited;
    },
  };
}
