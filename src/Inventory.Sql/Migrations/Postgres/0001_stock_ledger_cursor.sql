-- Identifiers compare byte-wise (COLLATE "C"), exactly as Redis compares keys.

CREATE TABLE stock (
    sku         varchar(64) COLLATE "C" NOT NULL,
    available   bigint      NOT NULL,
    last_seq    bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_pk PRIMARY KEY (sku)
);

-- The seed's antiRe: one row per change Redis accepted, keyed by its journal identity (sku, seq), so a
-- re-persisted change inserts nothing and a reused order id can never collide with its earlier attempt.
CREATE TABLE ledger (
    sku                varchar(64) COLLATE "C" NOT NULL,
    seq                bigint      NOT NULL,
    journal_partition  integer     NOT NULL,
    stream_id          varchar(40) COLLATE "C" NOT NULL,
    kind               varchar(16) COLLATE "C" NOT NULL,
    reference_id       varchar(64) COLLATE "C" NOT NULL,
    delta              bigint      NOT NULL,
    available_after    bigint      NOT NULL,
    reason             text,
    task_id            bigint      NOT NULL,
    journal_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_pk PRIMARY KEY (sku, seq)
);

CREATE INDEX ledger_reference_ix ON ledger (reference_id);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS
'BEGIN RAISE EXCEPTION ''ledger is append-only''; END;';

CREATE TRIGGER ledger_append_only
    BEFORE UPDATE OR DELETE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

-- How far SQL holds each journal partition: every entry through persisted_through is in the ledger.
CREATE TABLE journal_cursor (
    journal_partition  integer     NOT NULL,
    persisted_through  varchar(40) COLLATE "C" NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT journal_cursor_pk PRIMARY KEY (journal_partition)
);

-- Shared by every task_NN table, so a task id names one task across all shards.
CREATE SEQUENCE task_id_seq AS bigint CACHE 100;
