-- Runs on every migration: creates task_00 .. task_{TaskShards-1} that do not exist yet, so raising
-- Inventory:Sql:TaskShards and restarting adds shards. A later change to the task table's shape goes into a
-- versioned script that alters every existing task_% table.
DO $$
DECLARE
    shard integer;
    t text;
BEGIN
    FOR shard IN 0 .. $TaskShards$ - 1 LOOP
        t := 'task_' || lpad(shard::text, 2, '0');
        EXECUTE 'CREATE TABLE IF NOT EXISTS ' || quote_ident(t) || ' (
            id                bigint      NOT NULL DEFAULT nextval(''task_id_seq''),
            kind              varchar(16) COLLATE "C" NOT NULL,
            status            varchar(16) COLLATE "C" NOT NULL,
            attempts          integer     NOT NULL DEFAULT 0,
            max_attempts      integer     NOT NULL,
            next_run_at       timestamptz NOT NULL DEFAULT now(),
            lease_owner       varchar(128),
            lease_token       uuid,
            lease_expires_at  timestamptz,
            parent_id         bigint,
            parent_shard      integer,
            pending_children  integer     NOT NULL DEFAULT 0,
            dedupe_key        varchar(200) COLLATE "C" NOT NULL,
            payload           text        NOT NULL,
            last_error        text,
            created_at        timestamptz NOT NULL DEFAULT now(),
            modified_at       timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ' || quote_ident(t || '_pk') || ' PRIMARY KEY (id),
            CONSTRAINT ' || quote_ident(t || '_dedupe_uq') || ' UNIQUE (dedupe_key),
            CONSTRAINT ' || quote_ident(t || '_status_ck') || ' CHECK (status IN (''pending'', ''running'', ''waiting'', ''done'', ''dead'')),
            CONSTRAINT ' || quote_ident(t || '_lease_ck') || ' CHECK ((status = ''running'' AND lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)
                                                               OR (status <> ''running'' AND lease_token IS NULL))
        ) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000)';
        -- Partial indexes: each timer scans only the rows in the status it cares about.
        EXECUTE 'CREATE INDEX IF NOT EXISTS ' || quote_ident(t || '_due_ix') || ' ON ' || quote_ident(t) || ' (next_run_at, id) WHERE status = ''pending''';
        EXECUTE 'CREATE INDEX IF NOT EXISTS ' || quote_ident(t || '_lease_ix') || ' ON ' || quote_ident(t) || ' (lease_expires_at) WHERE status = ''running''';
        EXECUTE 'CREATE INDEX IF NOT EXISTS ' || quote_ident(t || '_done_ix') || ' ON ' || quote_ident(t) || ' (modified_at) WHERE status = ''done''';
        EXECUTE 'CREATE INDEX IF NOT EXISTS ' || quote_ident(t || '_dead_ix') || ' ON ' || quote_ident(t) || ' (modified_at) WHERE status = ''dead''';
    END LOOP;
END
$$;
