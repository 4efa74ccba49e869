-- Identifiers compare byte-wise (a _BIN2 collation), exactly as Redis compares keys.

CREATE TABLE dbo.stock (
    sku         varchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    available   bigint       NOT NULL,
    last_seq    bigint       NOT NULL,
    updated_at  datetime2(3) NOT NULL CONSTRAINT df_stock_updated_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_stock PRIMARY KEY CLUSTERED (sku)
);
GO

-- The seed's antiRe: one row per change Redis accepted, keyed by its journal identity (sku, seq), so a
-- re-persisted change inserts nothing and a reused order id can never collide with its earlier attempt.
CREATE TABLE dbo.ledger (
    sku                varchar(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    seq                bigint        NOT NULL,
    journal_partition  int           NOT NULL,
    stream_id          varchar(40)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    kind               varchar(16)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    reference_id       varchar(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    delta              bigint        NOT NULL,
    available_after    bigint        NOT NULL,
    reason             nvarchar(max) NULL,
    task_id            bigint        NOT NULL,
    journal_at         datetime2(3)  NOT NULL,
    created_at         datetime2(3)  NOT NULL CONSTRAINT df_ledger_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_ledger PRIMARY KEY CLUSTERED (sku, seq)
);
GO

CREATE INDEX ix_ledger_reference ON dbo.ledger (reference_id);
GO

CREATE TRIGGER dbo.ledger_append_only ON dbo.ledger
INSTEAD OF UPDATE, DELETE
AS
    THROW 51000, 'ledger is append-only', 1;
GO

-- How far SQL holds each journal partition: every entry through persisted_through is in the ledger.
CREATE TABLE dbo.journal_cursor (
    journal_partition  int          NOT NULL,
    persisted_through  varchar(40)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at         datetime2(3) NOT NULL CONSTRAINT df_journal_cursor_updated_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_journal_cursor PRIMARY KEY CLUSTERED (journal_partition)
);
GO

-- Shared by every task_NN table, so a task id names one task across all shards.
CREATE SEQUENCE dbo.task_id_seq AS bigint START WITH 1 INCREMENT BY 1 CACHE 100;
GO
