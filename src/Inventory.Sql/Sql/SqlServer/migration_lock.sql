-- Held by this session for the whole upgrade, so two processes migrating at once run one after the other.
DECLARE @result int;
EXEC @result = sys.sp_getapplock @Resource = N'inventory-migrations', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 600000;
IF @result < 0
    THROW 51001, 'could not take the migration lock', 1;
