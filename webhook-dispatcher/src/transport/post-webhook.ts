import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { LRUCache } from 'lru-cache';
import { isAddressAllowed, parseIp, type Cidr } from '../domain/address-policy';
import type { SendResult } from '../domain/attempt-outcome';
import { parseRetryAfter } from '../domain/retry-schedule';
import { AddressNotAllowedError, pinnedLookup } from './pinned-lookup';

export interface WebhookClientOptions {
  timeout_ms: number;
  responseBodyBytesMax: number;
  allowHttp: boolean;
  allowlist: readonly Cidr[];
  /**
   * Sockets per host:port. Not the per-endpoint bound: endpoints sharing a host (one receiver,
   * several paths) would queue behind each other's slow requests. The delivery loop bounds use.
   */
  socketsPerHostMax: number;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = 'ledger-webhooks/1';
/** Endpoint URLs whose parsed form is kept; past it the cache starts over. */
const TARGETS_MAX = 10_000;

interface Target {
  secure: boolean;
  protocol: string;
  hostname: string;
  port: string | number;
  path: string;
}

/**
 * POSTs webhooks: only http(s) URLs the configuration allows, only to addresses the SSRF policy
 * allows (checked on the resolved address the socket then uses), one overall timeout covering
 * connect, response and body, redirects never followed (a 3xx is a failure), the response body
 * read up to a cap. Never throws: every outcome is a SendResult.
 */
export function createWebhookClient(options: WebhookClientOptions) {
  const lookup: LookupFunction = pinnedLookup(options.allowlist);
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 10_000,
    maxSockets: options.socketsPerHostMax,
    maxFreeSockets: 16,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  function refuse(started: number, error: string): SendResult {
    return { kind: 'no_response', latency_ms: Date.now() - started, error };
  }

  /**
   * What a URL means for a request, or why it is refused, remembered per URL text: parsing it and
   * checking an address literal against the (fixed) policy showed in CPU profiles, once per
   * delivery. Host names are still checked at every connection, by the pinned lookup.
   */
  const targets = new LRUCache<string, Target | { refused: string }>({ max: TARGETS_MAX });
  function targetOf(urlText: string): Target | { refused: string } {
    const known = targets.get(urlText);
    if (known) return known;
    const target = parseTarget(urlText);
    targets.set(urlText, target);
    return target;
  }
  function parseTarget(urlText: string): Target | { refused: string } {
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      return { refused: 'invalid URL' };
    }
    const secure = url.protocol === 'https:';
    if (!secure && !(url.protocol === 'http:' && options.allowHttp))
      return { refused: `${url.protocol} URLs are not allowed` };
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An address literal is never looked up, so the policy is applied to it here.
    if (parseIp(host) && !isAddressAllowed(host, options.allowlist))
      return { refused: new AddressNotAllowedError(host, [host]).message };
    return {
      secure,
      protocol: url.protocol,
      hostname: host,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
    };
  }

  async function post(request: WebhookRequest): Promise<SendResult> {
    const started = Date.now();
    const target = targetOf(request.url);
    if ('refused' in target) return refuse(started, target.refused);
    const { secure } = target;

    const body = Buffer.from(request.body, 'utf8');
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = (secure ? https : http).request({
        method: 'POST',
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        agent: secure ? httpsAgent : httpAgent,
        lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': USER_AGENT,
          ...request.headers,
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(refuse(started, `timeout after ${options.timeout_ms} ms`));
      }, options.timeout_ms);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const text =
          error instanceof AddressNotAllowedError
            ? error.message
            : `${error.code ?? 'error'}: ${error.message}`;
        finish(refuse(started, text.slice(0, 500)));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () =>
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            latency_ms: Date.now() - started,
            body: Buffer.concat(chunks).toString('utf8'),
            retryAfter_ms: parseRetryAfter(singleHeader(res.headers['retry-after']), new Date()),
          });
        res.on('data', (chunk: Buffer) => {
          if (kept < options.responseBodyBytesMax) {
            const part = chunk.subarray(0, options.responseBodyBytesMax - kept);
            chunks.push(part);
            kept += part.length;
          }
          // Past the cap the rest is not worth waiting for: drop the socket.
          if (kept >= options.responseBodyBytesMax && chunk.length > 0) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      });
      req.end(body);
    });
  }

  return {
    post,
    close(): void {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export type WebhookClient = ReturnType<typeof createWebhookClient>;

const singleHeader = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
