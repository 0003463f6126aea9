import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import type { ClaimedAttempt } from '../data-access/attempt-claims';
import { recordOutcome } from '../data-access/attempt-outcomes';
import {
  decideAfterAttempt,
  describeFailure,
  type Decision,
  type SendResult,
} from '../domain/attempt-outcome';
import type { Random, RetryPolicy } from '../domain/retry-schedule';
import type { DeliveredRecorder } from './delivered-recorder';
import { signedHeaders, type SigningKey } from '../domain/signing';
import type { SigningKeys } from './signing-keys';
import type { WebhookClient } from '../transport/post-webhook';

export interface DeliverDeps {
  pool: Pool;
  /** Records successes in batches; other outcomes are written one by one (they are rare). */
  delivered: DeliveredRecorder;
  client: WebhookClient;
  logger: Logger;
  /** The endpoint's HMAC keys, newest first. @throws when its secret cannot be read */
  signingKeys: SigningKeys;
  policy: RetryPolicy;
  disableAfterFailing_ms: number;
  random: Random;
  now?: () => Date;
}

/**
 * Sends one claimed attempt, signed with the endpoint's secret (and the previous one while it is
 * still valid), and records the outcome with what follows from it; `sent` is called once the
 * request is over, before recording. Never throws for a failed
 * delivery; a database failure while recording is thrown (the lease then expires and the
 * attempt is sent again: at least once).
 */
export async function deliverAttempt(
  deps: DeliverDeps,
  claimed: ClaimedAttempt,
  sent: () => void = () => {},
): Promise<Decision> {
  const now = deps.now ?? (() => new Date());
  const result = await send(deps, claimed);
  sent();
  const decision = decideAfterAttempt(result, {
    scheduleIndex: claimed.schedule_index,
    failingSince: claimed.failing_since,
    now: now(),
    policy: deps.policy,
    disableAfterFailing_ms: deps.disableAfterFailing_ms,
    random: deps.random,
  });
  const recorded =
    decision.kind === 'delivered' && result.kind === 'response'
      ? await deps.delivered.record(claimed, result)
      : await recordOutcome(deps.pool, claimed, result, decision, describeFailure(result));
  // The common case (delivered and recorded) logs nothing, so it builds no child logger either.
  if (recorded && decision.kind === 'delivered') return decision;
  const log = deps.logger.child({
    endpoint_id: claimed.endpoint_id,
    message_id: claimed.message_id,
    attempt_id: claimed.attempt_id,
  });
  if (!recorded) log.warn('attempt lease lost before its outcome was recorded; outcome dropped');
  else if (decision.kind === 'disable_endpoint')
    log.warn({ reason: decision.reason }, 'webhook endpoint disabled');
  else if (decision.kind !== 'delivered')
    log.debug(
      { decision, status: result.kind === 'response' ? result.status : undefined },
      'webhook attempt failed',
    );
  return decision;
}

async function send(deps: DeliverDeps, claimed: ClaimedAttempt): Promise<SendResult> {
  let keys: SigningKey[];
  try {
    keys = deps.signingKeys(claimed);
  } catch (error) {
    deps.logger.error(
      { endpoint_id: claimed.endpoint_id, err: (error as Error).message },
      'cannot read the endpoint secret',
    );
    return { kind: 'no_response', latency_ms: 0, error: 'the endpoint secret cannot be read' };
  }
  const timestamp_s = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  return deps.client.post({
    url: claimed.url,
    headers: { ...signedHeaders(keys, claimed.event_id, timestamp_s, claimed.body) },
    body: claimed.body,
  });
}
