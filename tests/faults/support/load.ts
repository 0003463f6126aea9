import { randomInt, randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { deriveTransferId } from '../../../platform/ids';
import { sleep as pause } from '../../../platform/retry';

/** One answer a client got: `accepted`, `http_503`, `refused`, `reset`, `timeout`, `kafka_error: ...`. */
export interface Answer {
  at: number;
  answer: string;
  ms: number;
  body?: string;
}

/** A transfer a client wanted made, with every try (a client retries with the same idempotency key). */
export interface Submission {
  via: 'rest' | 'kafka';
  key: string;
  /** Known once accepted: from the 202 for REST, derived from tenant and key for Kafka. */
  transferId?: string;
  acceptedAt?: number;
  answers: Answer[];
}

export interface LoadOptions {
  url: string;
  apiKey: string;
  tenantId: string;
  accounts: string[];
  producer: Producer;
  commandsTopic: string;
  restPerSecond: number;
  kafkaPerSecond: number;
}

/** How long a client waits for an answer; the issue's bound for a 202 during an outage is 2 s, this is generous. */
export const REQUEST_TIMEOUT_MS = 5_000;
const IN_FLIGHT_MAX = 32;
const RETRY_PAUSE_MS = 300;

/**
 * Bounded load, as well-behaved clients make it: REST submissions and commands produced to Kafka
 * directly, at fixed rates, each retried with its idempotency key after a 503, a refused or reset
 * connection or a timeout, until accepted or until `settle` says to give up. Transfers move small
 * amounts between funded accounts (a few deposits, a few too large and so rejected).
 */
export function startLoad(options: LoadOptions) {
  const submissions: Submission[] = [];
  const running = new Set<Promise<void>>();
  let issuing = true;
  let retryUntil = Number.POSITIVE_INFINITY;

  const transferBody = () => {
    const { accounts } = options;
    const destination = accounts[randomInt(accounts.length)]!;
    const roll = randomInt(100);
    if (roll < 10)
      return { kind: 'deposit', destination_account_id: destination, amount: '1000', currency: 'USD' };
    let source = accounts[randomInt(accounts.length)]!;
    while (source === destination) source = accounts[randomInt(accounts.length)]!;
    // One in twenty asks for more than any account holds: rejected insufficient_funds.
    const amount = roll < 15 ? '1000000000000' : String(1 + randomInt(500));
    return {
      kind: 'transfer',
      source_account_id: source,
      destination_account_id: destination,
      amount,
      currency: 'USD',
    };
  };

  async function submitRest(s: Submission, body: object): Promise<void> {
    for (;;) {
      const started = Date.now();
      let answer: string;
      let text: string | undefined;
      try {
        const res = await fetch(`${options.url}/v1/transfers`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${options.apiKey}`,
            'idempotency-key': s.key,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        text = await res.text();
        if (res.status >= 200 && res.status < 300) {
          s.transferId = (JSON.parse(text) as { id: string }).id;
          s.acceptedAt = Date.now();
          answer = 'accepted';
        } else answer = `http_${res.status}`;
      } catch (error) {
        answer = classify(error);
      }
      s.answers.push({
        at: started,
        answer,
        ms: Date.now() - started,
        ...(answer.startsWith('http_') && text !== undefined ? { body: text.slice(0, 300) } : {}),
      });
      if (answer === 'accepted' || !retryable(answer) || Date.now() > retryUntil) return;
      await pause(RETRY_PAUSE_MS + randomInt(RETRY_PAUSE_MS));
    }
  }

  async function submitKafka(s: Submission, body: object): Promise<void> {
    const payload = { tenant_id: options.tenantId, idempotency_key: s.key, ...body };
    const key = (body as { source_account_id?: string; destination_account_id: string }).source_account_id;
    const message = {
      key: key ?? (body as { destination_account_id: string }).destination_account_id,
      value: JSON.stringify({
        type: 'transfer.requested',
        version: 1,
        occurred_at: new Date().toISOString(),
        payload,
      }),
    };
    for (;;) {
      const started = Date.now();
      let answer = 'accepted';
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          options.producer.send({ topic: options.commandsTopic, acks: -1, messages: [message] }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new TimeoutError()), REQUEST_TIMEOUT_MS);
          }),
        ]);
        s.transferId = deriveTransferId(options.tenantId, s.key);
        s.acceptedAt = Date.now();
      } catch (error) {
        answer = error instanceof TimeoutError ? 'timeout' : `kafka_error: ${(error as Error).name}`;
      } finally {
        clearTimeout(timer);
      }
      s.answers.push({ at: started, answer, ms: Date.now() - started });
      if (answer === 'accepted' || Date.now() > retryUntil) return;
      await pause(RETRY_PAUSE_MS + randomInt(RETRY_PAUSE_MS));
    }
  }

  const issue = async (via: Submission['via'], perSecond: number) => {
    if (perSecond <= 0) return;
    while (issuing) {
      if (running.size < IN_FLIGHT_MAX) {
        const s: Submission = { via, key: `fault-${via}-${randomUUID()}`, answers: [] };
        submissions.push(s);
        const done = (via === 'rest' ? submitRest : submitKafka)(s, transferBody()).finally(() =>
          running.delete(done),
        );
        running.add(done);
      }
      await pause(1_000 / perSecond);
    }
  };
  const issuers = [issue('rest', options.restPerSecond), issue('kafka', options.kafkaPerSecond)];

  return {
    submissions,
    /** Stops issuing new submissions; those under way keep retrying until grace_ms from now, then give up. */
    async settle(grace_ms: number): Promise<void> {
      issuing = false;
      retryUntil = Date.now() + grace_ms;
      await Promise.all(issuers);
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

class TimeoutError extends Error {}

/** Retried by the client: what an outage or a restart looks like from outside. */
function retryable(answer: string): boolean {
  // A 500 too: clients retry any 5xx (and the retry shows whether the promise held); it is still a finding.
  return (
    /^http_(5\d\d|429)$/.test(answer) ||
    ['refused', 'reset', 'timeout'].includes(answer) ||
    answer.startsWith('error')
  );
}

function classify(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return `error: ${code ?? e.cause?.message ?? e.message}`;
}
