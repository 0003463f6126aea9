import http, { type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface DeliveredEvent {
  type: string;
  /** The transfer the event is about: data.id of transfer.*, data.transfer_id of account.*. */
  transferId: string;
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1 that records which events arrived, for which transfer and
 * when, and answers 204 after delay_ms: a small delay keeps deliveries in flight, so a
 * dispatcher killed under load is killed in the middle of some.
 */
export async function startWebhookSink(delay_ms = 20) {
  const delivered: DeliveredEvent[] = [];
  const sockets = new Set<Socket>();
  const server: Server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          type: string;
          data: { id?: string; transfer_id?: string };
        };
        delivered.push({
          type: body.type,
          transferId: body.data.transfer_id ?? body.data.id ?? '',
          at: Date.now(),
        });
      } catch {
        delivered.push({ type: 'unreadable', transferId: '', at: Date.now() });
      }
      setTimeout(() => res.writeHead(204).end(), delay_ms);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/ledger`,
    delivered,
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type WebhookSink = Awaited<ReturnType<typeof startWebhookSink>>;
