import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fault-stack';

export type ServiceName = 'api' | 'processor' | 'webhook-dispatcher';

const READY_LINE: Record<ServiceName, string> = {
  api: 'API started',
  processor: 'processor started',
  'webhook-dispatcher': 'webhook dispatcher started',
};
/** Where the fault suite keeps its services' logs and pid files (scripts/test-faults.sh kills leftovers by pid). */
export const RUN_DIR = path.join(ROOT, '.data/faults/run');
export const LOG_DIR = path.join(ROOT, '.data/faults/logs');
const STDERR_LINES_MAX = 200;
const ERROR_KINDS_MAX = 50;
const RESTART_BACKOFF_MS = 1_000;
const RESTARTS_MAX = 40;
const STOP_TIMEOUT_MS = 15_000;

/** A process that ended without the test asking, with what it said last. */
export interface UnexpectedExit {
  service: string;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  lastWords: string;
}

const alive = new Set<ChildProcess>();
// A failed or interrupted test file must not leave services running: kill them with the worker.
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * One service (api, processor, webhook-dispatcher) run from its compiled main.js as a child
 * process, so a test can kill -9 it. Like a supervisor (`restart: unless-stopped`), it starts a
 * process that exited on its own again after a pause, and records each such exit: a dependency
 * outage must never end a process, so every one is a finding.
 */
export class Service {
  readonly unexpectedExits: UnexpectedExit[] = [];
  private child: ChildProcess | undefined;
  private log: WriteStream;
  /** What the current process wrote to stderr (a crash's stack trace goes there), bounded. */
  private stderr: string[] = [];
  /** Messages logged at error level or above, by kind, with their counts (all processes of this service). */
  readonly errors = new Map<string, number>();
  private supervising = true;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();
  private readyWaiters: Array<() => void> = [];
  private ready = false;

  constructor(
    readonly name: ServiceName,
    readonly label: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    mkdirSync(RUN_DIR, { recursive: true });
    this.log = createWriteStream(path.join(LOG_DIR, `${label}.log`), { flags: 'w' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.ready = false;
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', this.name, 'src', 'main.js')], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    alive.add(child);
    if (child.pid) writeFileSync(path.join(RUN_DIR, `${this.label}.pid`), String(child.pid));
    const onLine = (line: string, fromStderr: boolean) => {
      if (!this.ready && line.includes(READY_LINE[this.name])) {
        this.ready = true;
        for (const wake of this.readyWaiters.splice(0)) wake();
      }
      if (fromStderr) {
        if (this.stderr.length < STDERR_LINES_MAX) this.stderr.push(line);
      } else if (/^\{"level":(50|60)/.test(line)) {
        const message = summarise(line);
        if (this.errors.size < ERROR_KINDS_MAX || this.errors.has(message))
          this.errors.set(message, (this.errors.get(message) ?? 0) + 1);
      }
    };
    for (const [stream, fromStderr] of [
      [child.stdout!, false],
      [child.stderr!, true],
    ] as const) {
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line, fromStderr);
      });
    }
    this.exited = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        alive.delete(child);
        rmSync(path.join(RUN_DIR, `${this.label}.pid`), { force: true });
        if (this.child === child && this.supervising) this.onUnexpectedExit(child, code, signal);
        resolve();
      }),
    );
  }

  private onUnexpectedExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.unexpectedExits.push({
      service: this.label,
      at: Date.now(),
      code,
      signal,
      lastWords: lastWords(this.stderr),
    });
    this.stderr = [];
    if (this.restarts++ >= RESTARTS_MAX) return;
    setTimeout(() => {
      if (this.supervising && this.child === child) this.start();
    }, RESTART_BACKOFF_MS);
  }

  /** Resolves once the service logged that it started; fails after timeout_ms. */
  async whenReady(timeout_ms = 60_000): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label} did not start within ${timeout_ms} ms; see ${LOG_DIR}`)),
        timeout_ms,
      );
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** kill -9, as a crash; resolves once the process is gone. The caller decides when to start it again. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** A graceful stop (SIGTERM), kill -9 after STOP_TIMEOUT_MS; no restart. */
  async stop(): Promise<void> {
    this.supervising = false;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

/**
 * A pino error line shortened to what went wrong (msg and err.message), ids and numbers elided
 * so that repeats count as one kind.
 */
function summarise(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    return [parsed.msg, parsed.err?.message]
      .filter(Boolean)
      .join(': ')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
      .replace(/\d{4,}/g, '<n>')
      .slice(0, 200);
  } catch {
    return line.trim().slice(0, 200);
  }
}

/**
 * What a crashed Node process said: the error of an uncaught exception and which object emitted
 * it ("Emitted 'error' event on BoundPool instance"), or else the last line it wrote to stderr
 * (the entry point's catch prints the error message).
 */
function lastWords(stderr: string[]): string {
  const error = stderr.find((l) => /^\w*Error\b[^:]*:/.test(l));
  const emitter = stderr.find((l) => l.startsWith("Emitted 'error' event on"));
  if (error) return [error.trim(), emitter?.replace(/ at:$/, '')].filter(Boolean).join(' — ');
  const last = stderr.filter((l) => l.trim() && !l.startsWith('Node.js v')).pop();
  return last?.trim().slice(0, 200) ?? '(nothing on stderr)';
}

/** The system under test: API, one or more processors, the webhook dispatcher, each a supervised child process. */
export interface Services {
  api: Service;
  processors: Service[];
  dispatcher: Service;
  all(): Service[];
  unexpectedExits(): UnexpectedExit[];
  stop(): Promise<void>;
}

export async function startServices(
  scenario: string,
  env: NodeJS.ProcessEnv,
  processorCount = 1,
): Promise<Services> {
  const api = new Service('api', `${scenario}-api`, env);
  const processors = Array.from(
    { length: processorCount },
    (_, i) => new Service('processor', `${scenario}-processor-${i + 1}`, env),
  );
  const dispatcher = new Service('webhook-dispatcher', `${scenario}-webhook-dispatcher`, env);
  const all = () => [api, ...processors, dispatcher];
  const services: Services = {
    api,
    processors,
    dispatcher,
    all,
    unexpectedExits: () => all().flatMap((s) => s.unexpectedExits),
    stop: async () => {
      await Promise.all(all().map((s) => s.stop()));
    },
  };
  try {
    for (const s of all()) s.start();
    await Promise.all(all().map((s) => s.whenReady()));
  } catch (error) {
    await services.stop();
    throw error;
  }
  return services;
}
