-- Gives the function app's managed identity its user in the Inventory database (Azure SQL, Entra-only auth).
-- Bicep cannot do this: database users are created inside the database, by an Entra administrator.
-- Safe to run again. sqlcmd variables: IDENTITY_NAME (the identity's name), IDENTITY_OBJECT_ID (its principal ID).
-- The app reads and writes data, runs its own migrations at start (tables, journal) and executes what they create.

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(IDENTITY_NAME)')
BEGIN
    CREATE USER [$(IDENTITY_NAME)] FROM EXTERNAL PROVIDER WITH OBJECT_ID = '$(IDENTITY_OBJECT_ID)';
END;

ALTER ROLE db_datareader ADD MEMBER [$(IDENTITY_NAME)];
ALTER ROLE db_datawriter ADD MEMBER [$(IDENTITY_NAME)];
ALTER ROLE db_ddladmin ADD MEMBER [$(IDENTITY_NAME)];
GRANT EXECUTE TO [$(IDENTITY_NAME)];
GO
