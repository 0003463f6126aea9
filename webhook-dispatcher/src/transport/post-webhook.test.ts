import http from 'node:http';
import { parseCidr } from '../domain/address-policy';
import { createWebhookClient, type WebhookClient } from './post-webhook';

describe('the webhook HTTP client', () => {
  let server: http.Server;
  let base: string;
  const clients: WebhookClient[] = [];
  const client = (over: Partial<Parameters<typeof createWebhookClient>[0]> = {}) => {
    const c = createWebhookClient({
      timeout_ms: 1_000,
      responseBodyBytesMax: 16,
      allowHttp: true,
      allowlist: [parseCidr('127.0.0.1/32')],
      socketsPerHostMax: 8,
      ...over,
    });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/big') res.writeHead(200).end('x'.repeat(100_000));
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const post = (c: WebhookClient, url: string) => c.post({ url, headers: {}, body: '{}' });

  it('does not follow redirects: a 3xx is what the attempt got', async () => {
    expect(await post(client(), `http://${base}/redirect`)).toMatchObject({ kind: 'response', status: 302 });
  });

  it('keeps only the first bytes of a response body', async () => {
    expect(await post(client(), `http://${base}/big`)).toMatchObject({
      kind: 'response',
      status: 200,
      body: 'x'.repeat(16),
    });
  });

  it('resolves a host name and connects only to an allowed address', async () => {
    const port = base.split(':')[1];
    expect(await post(client(), `http://localhost:${port}/ok`)).toMatchObject({
      kind: 'response',
      status: 200,
    });
    expect(await post(client({ allowlist: [] }), `http://localhost:${port}/ok`)).toMatchObject({
      kind: 'no_response',
      error: expect.stringMatching(/^localhost resolves to .*not a public address/),
    });
  });

  it('refuses http:// unless allowed, and address literals outside the policy', async () => {
    expect(await post(client({ allowHttp: false }), `http://${base}/ok`)).toMatchObject({
      kind: 'no_response',
      error: 'http: URLs are not allowed',
    });
    expect(await post(client({ allowlist: [] }), `http://${base}/ok`)).toMatchObject({
      kind: 'no_response',
      error: expect.stringMatching(/not a public address/),
    });
    expect(await post(client(), 'http://[::ffff:7f00:2]:1/')).toMatchObject({ kind: 'no_response' });
  });
});
