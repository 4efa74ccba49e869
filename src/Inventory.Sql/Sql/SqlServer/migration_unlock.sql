EXEC sys.sp_releaseapplock @Resource = N'inventory-migrations', @LockOwner = N'Session';
