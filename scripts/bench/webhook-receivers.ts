import http from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What the receivers saw of one phase of the webhook profile. */
export interface PhaseTally {
  /** First arrivals of an (endpoint, event): the deliveries that count. */
  firsts: number;
  /** Arrivals of an (endpoint, event) already seen (retries, at-least-once re-sends). */
  repeats: number;
  /** Wall clock (ms) of the first and the last first arrival. */
  firstAt: number;
  lastAt: number;
  /** Arrival minus the event's `created_at` (the processor's commit-time clock), ms, per first arrival. */
  latencies_ms: number[];
}

export interface ReceiverOptions {
  /** Endpoints, one HTTP server each on 127.0.0.1 and an ephemeral port. */
  count: number;
  /** The phase a transfer id belongs to, or undefined for traffic the profile did not generate. */
  phaseOf: (transferId: string) => number | undefined;
  /** Arrivals remembered per receiver, to recognise repeats (bounds memory). */
  arrivalsMax: number;
  /** Every nth arrival has its Standard Webhooks signature checked (0: never). */
  verifyEvery: number;
}

interface Delivered {
  created_at: string;
  type: string;
  data: { id?: string; transfer_id?: string };
}

/**
 * Local webhook receivers for the bench (the same idea as tests/webhooks/test-receiver.ts, but
 * tallying instead of keeping requests): each answers 204 at once and records per phase the
 * first arrival of each event, its latency from commit, and repeats. Loopback only.
 */
export async function startReceivers(options: ReceiverOptions) {
  const tallies = new Map<number, PhaseTally>();
  const sockets = new Set<Socket>();
  let foreign = 0;
  let badSignatures = 0;
  let verified = 0;
  let arrivals = 0;
  const verifiers: Array<Webhook | undefined> = [];

  const tallyOf = (phase: number): PhaseTally => {
    let t = tallies.get(phase);
    if (!t) {
      t = { firsts: 0, repeats: 0, firstAt: 0, lastAt: 0, latencies_ms: [] };
      tallies.set(phase, t);
    }
    return t;
  };

  const servers = await Promise.all(
    Array.from({ length: options.count }, async (_, index) => {
      const seen = new Set<string>();
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const at = Date.now();
          res.writeHead(204).end();
          const body = Buffer.concat(chunks).toString('utf8');
          const id = String(req.headers['webhook-id']);
          arrivals++;
          const verifier = verifiers[index];
          if (verifier && options.verifyEvery > 0 && arrivals % options.verifyEvery === 0) {
            verified++;
            try {
              verifier.verify(body, req.headers as Record<string, string>);
            } catch {
              badSignatures++;
            }
          }
          const event = JSON.parse(body) as Delivered;
          const phase = options.phaseOf(event.data.transfer_id ?? event.data.id ?? '');
          if (phase === undefined) {
            foreign++;
            return;
          }
          const tally = tallyOf(phase);
          if (seen.has(id)) {
            tally.repeats++;
            return;
          }
          if (seen.size < options.arrivalsMax) seen.add(id);
          if (tally.firsts === 0) tally.firstAt = at;
          tally.firsts++;
          tally.lastAt = at;
          if (tally.latencies_ms.length < options.arrivalsMax)
            tally.latencies_ms.push(at - Date.parse(event.created_at));
        });
      });
      // Keep-alive longer than the dispatcher's agent keeps idle sockets, so no request races a close.
      server.keepAliveTimeout = 15_000;
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );

  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}/webhooks`),
    /** The secret of receiver i, once its endpoint exists: sampled deliveries are verified with it. */
    trust(index: number, secret: string): void {
      verifiers[index] = new Webhook(secret);
    },
    tally: (phase: number): PhaseTally => tallyOf(phase),
    /** Deliveries of events the profile did not generate (earlier profiles' traffic). */
    foreign: () => foreign,
    signatures: () => ({ verified, bad: badSignatures }),
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

export type Receivers = Awaited<ReturnType<typeof startReceivers>>;
