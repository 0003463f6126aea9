-- Webhooks: tenants' endpoints, one message per (endpoint, event), and the attempts to deliver it.
-- The attempts table is also the dispatchers' work queue. Append-only: never edit once shipped.

-- Secrets are stored encrypted (AES-256-GCM, key from configuration, the endpoint id as
-- associated data): version byte || 12-byte IV || 16-byte tag || ciphertext. During the 24 hours
-- after a rotation the previous secret signs too.
CREATE TABLE webhook_endpoints (
  id                          uuid        PRIMARY KEY,
  tenant_id                   uuid        NOT NULL REFERENCES tenants (id),
  url                         text        NOT NULL CHECK (length(url) <= 2048),
  description                 text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  event_types                 text[]      NOT NULL CHECK (cardinality(event_types) > 0),
  status                      text        NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  -- Why it is disabled: 'manual' (the tenant), 'gone' (it answered 410), 'failing' (no success for days).
  disabled_reason             text        CHECK (disabled_reason IN ('manual', 'gone', 'failing')),
  secret_encrypted            bytea       NOT NULL,
  previous_secret_encrypted   bytea,
  previous_secret_expires_at  timestamptz,
  -- Time of the first failure since the last success; the endpoint is disabled when it gets too old.
  failing_since               timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL)),
  CHECK ((previous_secret_encrypted IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);
-- Fan-out: the enabled endpoints of a tenant.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (tenant_id) WHERE status = 'enabled';

-- One event to one endpoint. body is the exact JSON sent (and signed) on every attempt.
CREATE TABLE webhook_messages (
  id           uuid        PRIMARY KEY,
  endpoint_id  uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id     uuid        NOT NULL,
  event_type   text        NOT NULL,
  -- The events topic the message came from. A dispatcher claims only the attempts of the topic it
  -- consumes, so environments that share a database under different topic prefixes (test files,
  -- preview stacks) never deliver each other's messages.
  source_topic text        NOT NULL,
  body         text        NOT NULL,
  -- pending: an attempt is scheduled or under way; delivered: a 2xx came back; failed: retries ran out
  -- or the endpoint was disabled (recoverable).
  status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, id);
CREATE INDEX webhook_messages_failed ON webhook_messages (endpoint_id, created_at) WHERE status = 'failed';

-- Every attempt, past and scheduled. A dispatcher claims due 'scheduled' rows with
-- FOR UPDATE SKIP LOCKED and holds them by a lease (lease_until, lease_token): a crashed
-- dispatcher's claims become due again when the lease runs out, and a late result from an
-- expired lease is ignored (fenced by the token).
CREATE TABLE webhook_attempts (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id       uuid        NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
  endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  source_topic     text        NOT NULL, -- copied from the message: the claim filters on it
  -- Position in the retry schedule of the current round (0: the first try). Manual retries and
  -- recoveries start a new round at 0.
  schedule_index   smallint    NOT NULL CHECK (schedule_index >= 0),
  trigger          text        NOT NULL CHECK (trigger IN ('event', 'retry', 'manual', 'recover')),
  status           text        NOT NULL DEFAULT 'scheduled'
                               CHECK (status IN ('scheduled', 'succeeded', 'failed', 'cancelled')),
  due_at           timestamptz NOT NULL,
  lease_until      timestamptz,
  lease_token      uuid,
  started_at       timestamptz,
  finished_at      timestamptz,
  response_status  smallint,
  response_body    text        CHECK (length(response_body) <= 4096),
  latency_ms       integer,
  error            text        CHECK (length(error) <= 1000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'scheduled') = (finished_at IS NULL))
);
CREATE INDEX webhook_attempts_due ON webhook_attempts (source_topic, due_at) WHERE status = 'scheduled';
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, id);
-- At most one scheduled attempt per message: a message is retried by one chain at a time.
CREATE UNIQUE INDEX webhook_attempts_one_scheduled ON webhook_attempts (message_id) WHERE status = 'scheduled';
