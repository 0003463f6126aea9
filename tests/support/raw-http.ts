import { request } from 'node:http';
import { connect } from 'node:net';

/** A reply read as text, with its body parsed as JSON when it is JSON. */
export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: { error?: { code?: string; message?: string; details?: unknown; request_id?: string } } | undefined;
}

const parseJson = (text: string): RawReply['json'] => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** A request exactly as given (no JSON encoding, no default headers), and the reply as text. */
export async function raw(url: string, init: RequestInit = {}): Promise<RawReply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parseJson(text) };
}

/**
 * A request through node:http, which (unlike fetch) sends any method, TRACE included, and any
 * body bytes under any headers.
 */
export function rawRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: Buffer | string | undefined },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    // node:http frames a GET or DELETE body by nothing at all unless told its length.
    const length =
      options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) };
    const headers = { ...length, ...options.headers };
    const req = request(url, { method: options.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve({ status: res.statusCode ?? 0, headers, text, json: parseJson(text) });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes bytes on a fresh TCP connection and reads what comes back until the server closes it:
 * for requests no HTTP client would send (broken request lines, oversized headers).
 */
export function rawExchange(url: string, bytes: string | Buffer): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer was read is the server closing a refused connection; keep the answer.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
    socket.on('close', () => finish());
    socket.write(bytes);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const at = line.indexOf(':');
        if (at > 0) headers.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      const body = rest.join('\r\n\r\n');
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, text: body, json: parseJson(body) });
    }
  });
}

/** No stack frames, source paths or library internals in what a client sees. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat .+\(.*:\d+:\d+\)/);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/node_modules|\/work\/|\.ts:\d+|\.js:\d+/);
  expect(text).not.toMatch(/"stack"|SyntaxError|Unexpected token|PayloadTooLargeError|ZodError/);
}

/** The one error body: {error: {code, message, details?, request_id}}, request_id equal to X-Request-Id, no internals. */
export function expectStandardError(reply: RawReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.json?.error?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(reply.json!)).toEqual(['error']);
  const { error } = reply.json!;
  expect(Object.keys(error!).sort()).toEqual(
    (error!.details === undefined
      ? ['code', 'message', 'request_id']
      : ['code', 'details', 'message', 'request_id']
    ).sort(),
  );
  expect(typeof error!.message).toBe('string');
  expect(error!.message!.length).toBeGreaterThan(0);
  expect(error!.request_id).toBeTruthy();
  expect(error!.request_id).toBe(reply.headers.get('x-request-id'));
  expectNoInternals(reply.text);
}
