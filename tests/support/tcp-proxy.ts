import net, { type Socket } from 'node:net';

/**
 * A TCP proxy in the test process, to give one service instance a PostgreSQL (or anything) the
 * test can cut off without touching the shared server. `cut()` is a network partition: new
 * connections are dropped at once and the open ones stop carrying bytes (they stay open, as
 * across a partition, so nothing is torn down under the service); `restore()` lets everything
 * flow again.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const pairs = new Set<[Socket, Socket]>();
  let up = true;
  const server = net.createServer((inbound) => {
    if (!up) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect(target.port, target.host);
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const close = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const setFlowing = (flowing: boolean) => {
    // Piping twice would send every byte twice.
    if (flowing === up) return;
    up = flowing;
    for (const [a, b] of pairs) {
      if (flowing) {
        a.pipe(b);
        b.pipe(a);
        a.resume();
        b.resume();
      } else {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    }
  };

  return {
    port,
    cut(): void {
      setFlowing(false);
    },
    restore(): void {
      setFlowing(true);
    },
    async close(): Promise<void> {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
