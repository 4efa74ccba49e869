-- Runs on every migration: creates task_00 .. task_{TaskShards-1} that do not exist yet, so raising
-- Inventory:Sql:TaskShards and restarting adds shards. A later change to the task table's shape goes into a
-- versioned script that alters every existing task_% table.
DECLARE @shards int = $TaskShards$;
DECLARE @i int = 0;
DECLARE @t sysname;
DECLARE @sql nvarchar(max);
WHILE @i < @shards
BEGIN
    SET @t = CONCAT(N'task_', RIGHT(CONCAT(N'0', @i), 2));
    IF OBJECT_ID(N'dbo.' + @t, N'U') IS NULL
    BEGIN
        SET @sql = N'CREATE TABLE dbo.' + QUOTENAME(@t) + N' (
            id                bigint        NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_id') + N' DEFAULT (NEXT VALUE FOR dbo.task_id_seq),
            kind              varchar(16)   COLLATE Latin1_General_100_BIN2 NOT NULL,
            status            varchar(16)   COLLATE Latin1_General_100_BIN2 NOT NULL,
            attempts          int           NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_attempts') + N' DEFAULT 0,
            max_attempts      int           NOT NULL,
            next_run_at       datetime2(3)  NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_next_run_at') + N' DEFAULT SYSUTCDATETIME(),
            lease_owner       nvarchar(128) NULL,
            lease_token       uniqueidentifier NULL,
            lease_expires_at  datetime2(3)  NULL,
            parent_id         bigint        NULL,
            parent_shard      int           NULL,
            pending_children  int           NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_pending_children') + N' DEFAULT 0,
            dedupe_key        varchar(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
            payload           nvarchar(max) NOT NULL,
            last_error        nvarchar(max) NULL,
            created_at        datetime2(3)  NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_created_at') + N' DEFAULT SYSUTCDATETIME(),
            modified_at       datetime2(3)  NOT NULL CONSTRAINT ' + QUOTENAME(N'df_' + @t + N'_modified_at') + N' DEFAULT SYSUTCDATETIME(),
            CONSTRAINT ' + QUOTENAME(N'pk_' + @t) + N' PRIMARY KEY CLUSTERED (id),
            CONSTRAINT ' + QUOTENAME(N'uq_' + @t + N'_dedupe') + N' UNIQUE (dedupe_key),
            CONSTRAINT ' + QUOTENAME(N'ck_' + @t + N'_status') + N' CHECK (status IN (''pending'', ''running'', ''waiting'', ''done'', ''dead'')),
            CONSTRAINT ' + QUOTENAME(N'ck_' + @t + N'_lease') + N' CHECK ((status = ''running'' AND lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)
                                                                  OR (status <> ''running'' AND lease_token IS NULL))
        );
        CREATE INDEX ix_due ON dbo.' + QUOTENAME(@t) + N' (next_run_at, id) WHERE status = ''pending'';
        CREATE INDEX ix_lease ON dbo.' + QUOTENAME(@t) + N' (lease_expires_at) WHERE status = ''running'';
        CREATE INDEX ix_done ON dbo.' + QUOTENAME(@t) + N' (modified_at) WHERE status = ''done'';
        CREATE INDEX ix_dead ON dbo.' + QUOTENAME(@t) + N' (modified_at) WHERE status = ''dead'';';
        EXEC sys.sp_executesql @sql;
    END;
    SET @i += 1;
END;
