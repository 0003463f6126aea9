-- Core ledger schema: tenants and API keys, currencies, accounts, FX rates, transfers, the
-- double-entry ledger and the transactional outbox. Append-only: never edit once shipped.

CREATE TABLE currencies (
  code      char(3)  PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  exponent  smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
  name      text     NOT NULL
);

INSERT INTO currencies (code, exponent, name) VALUES
  ('USD', 2, 'US Dollar'), ('EUR', 2, 'Euro'), ('GBP', 2, 'Pound Sterling'),
  ('CHF', 2, 'Swiss Franc'), ('JPY', 0, 'Yen'), ('KWD', 3, 'Kuwaiti Dinar'),
  ('INR', 2, 'Indian Rupee'), ('CNY', 2, 'Yuan Renminbi'), ('CAD', 2, 'Canadian Dollar'),
  ('AUD', 2, 'Australian Dollar'), ('BRL', 2, 'Brazilian Real'), ('AED', 2, 'UAE Dirham');

CREATE TABLE tenants (
  id          uuid        PRIMARY KEY,
  name        text        NOT NULL,
  email       text        NOT NULL,
  is_system   boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenants_email_key ON tenants (lower(email));

CREATE TABLE api_keys (
  id            uuid        PRIMARY KEY,
  tenant_id     uuid        NOT NULL REFERENCES tenants (id),
  name          text        NOT NULL,
  prefix        text        NOT NULL,
  key_hash      bytea       NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- 'customer' accounts belong to tenants and never go below zero. 'world' (money entering or
-- leaving the ledger) and 'fx_house' (the other side of currency conversions) are the system's
-- own, one per currency each, and may go negative: that is what makes every currency sum to zero.
CREATE TABLE accounts (
  id          uuid        PRIMARY KEY,
  tenant_id   uuid        NOT NULL REFERENCES tenants (id),
  kind        text        NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer', 'world', 'fx_house')),
  currency    char(3)     NOT NULL REFERENCES currencies (code),
  name        text        NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}',
  status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  balance     bigint      NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customer_balance_not_negative CHECK (kind <> 'customer' OR balance >= 0)
) WITH (fillfactor = 70); -- balances change constantly: leave room for in-page (HOT) updates
CREATE INDEX accounts_tenant ON accounts (tenant_id, id);
CREATE UNIQUE INDEX accounts_system_per_currency ON accounts (kind, currency) WHERE kind <> 'customer';

INSERT INTO tenants (id, name, email, is_system)
  VALUES ('00000000-0000-0000-0000-000000000000', 'Ledger system', 'system@ledger.invalid', true);
INSERT INTO accounts (id, tenant_id, kind, currency, name)
  SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000000', k.kind, c.code, k.kind || ' ' || c.code
  FROM currencies c CROSS JOIN (VALUES ('world'), ('fx_house')) AS k (kind);

-- One unit of base buys numerator/denominator units of quote (major units), set by the operator.
CREATE TABLE fx_rates (
  base         char(3)     NOT NULL REFERENCES currencies (code),
  quote        char(3)     NOT NULL REFERENCES currencies (code),
  numerator    numeric(40) NOT NULL CHECK (numerator > 0),
  denominator  numeric(40) NOT NULL CHECK (denominator > 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (base, quote),
  CHECK (base <> quote)
);

CREATE TABLE transfers (
  id                      uuid        PRIMARY KEY,
  tenant_id               uuid        NOT NULL REFERENCES tenants (id),
  idempotency_key         text        NOT NULL,
  request_hash            bytea       NOT NULL,
  kind                    text        NOT NULL CHECK (kind IN ('transfer', 'deposit', 'withdrawal')),
  source_account_id       uuid,
  destination_account_id  uuid,
  -- Set by the processor: the owner of the credited account, so a payee can read what it received.
  destination_tenant_id   uuid,
  amount                  bigint      NOT NULL CHECK (amount > 0),
  currency                char(3)     NOT NULL,
  destination_amount      bigint,
  destination_currency    char(3),
  rate_numerator          numeric(40),
  rate_denominator        numeric(40),
  description             text,
  metadata                jsonb,
  status                  text        NOT NULL CHECK (status IN ('pending', 'committed', 'rejected')),
  reason                  text,
  reason_message          text,
  -- The command as the API published it, so an accepted-but-unpublished transfer can be re-sent.
  -- Commands that arrive straight from Kafka are final when first written and carry none.
  command                 jsonb,
  created_at              timestamptz NOT NULL DEFAULT now(),
  finalized_at            timestamptz,
  republished_at          timestamptz,
  UNIQUE (tenant_id, idempotency_key),
  CHECK ((status = 'pending') = (finalized_at IS NULL)),
  CHECK ((status = 'rejected') = (reason IS NOT NULL))
);
CREATE INDEX transfers_tenant ON transfers (tenant_id, created_at, id);
CREATE INDEX transfers_destination_tenant ON transfers (destination_tenant_id, created_at, id)
  WHERE destination_tenant_id IS NOT NULL;
CREATE INDEX transfers_source_account ON transfers (source_account_id, created_at, id);
CREATE INDEX transfers_destination_account ON transfers (destination_account_id, created_at, id);
CREATE INDEX transfers_pending ON transfers (created_at) WHERE status = 'pending';

-- Signed amounts: a debit is negative, a credit positive; the entries of a transfer sum to zero
-- per currency. balance_after is the account's balance right after this entry (the statement).
CREATE TABLE entries (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transfer_id    uuid        NOT NULL REFERENCES transfers (id),
  account_id     uuid        NOT NULL REFERENCES accounts (id),
  currency       char(3)     NOT NULL,
  amount         bigint      NOT NULL CHECK (amount <> 0),
  balance_after  bigint      NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entries_account ON entries (account_id, id);
CREATE INDEX entries_transfer ON entries (transfer_id);

-- Transactional outbox: events written in the same transaction as the ledger rows, relayed to
-- Kafka. The payload is the serialized event, kept as text: it is only ever passed through.
CREATE TABLE outbox (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic       text        NOT NULL,
  key         text        NOT NULL,
  event_id    uuid        NOT NULL,
  event_type  text        NOT NULL,
  payload     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
