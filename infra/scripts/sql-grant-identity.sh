#!/bin/sh
# Creates the function app identity's user in the Azure SQL database (infra/scripts/sql-grant-identity.sql).
# Needs: go-sqlcmd on PATH, a sign-in as the server's Entra administrator (az login, or azd auth login), and a
# server firewall rule admitting your address. Reads the azd environment when its variables are not set.
set -eu

if [ -z "${AZURE_SQL_SERVER_FQDN:-}" ] && command -v azd >/dev/null 2>&1; then
  eval "$(azd env get-values)"
fi

: "${AZURE_SQL_SERVER_FQDN:?not set: run azd provision first (databaseProvider=sql)}"
: "${AZURE_DATABASE_NAME:?not set: run azd provision first}"
: "${AZURE_USER_ASSIGNED_IDENTITY_NAME:?not set: run azd provision first}"
: "${AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID:?not set: run azd provision first}"

script_dir=$(cd "$(dirname "$0")" && pwd)
echo "sql-grant-identity: creating user [$AZURE_USER_ASSIGNED_IDENTITY_NAME] in $AZURE_SQL_SERVER_FQDN/$AZURE_DATABASE_NAME"
sqlcmd -S "tcp:$AZURE_SQL_SERVER_FQDN,1433" -d "$AZURE_DATABASE_NAME" \
  --authentication-method ActiveDirectoryDefault -b \
  -v IDENTITY_NAME="$AZURE_USER_ASSIGNED_IDENTITY_NAME" IDENTITY_OBJECT_ID="$AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID" \
  -i "$script_dir/sql-grant-identity.sql"
echo "sql-grant-identity: done"
