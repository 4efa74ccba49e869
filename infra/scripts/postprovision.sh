#!/bin/sh
# azd postprovision hook. With Azure SQL administered by the signed-in deployer, the app identity still needs its
# database user: run sql-grant-identity.sh when go-sqlcmd is available, otherwise say how to do it by hand.
# Nothing to do for PostgreSQL (the identity is an Entra administrator) or when the identity administers SQL.
set -eu

if [ "${DATABASE_PROVIDER:-}" != "sql" ] || [ "${AZURE_SQL_ADMIN_IS_DEPLOYER:-false}" != "true" ]; then
  echo "postprovision: no database user to create (provider: ${DATABASE_PROVIDER:-unknown})"
  exit 0
fi

script_dir=$(cd "$(dirname "$0")" && pwd)
if command -v sqlcmd >/dev/null 2>&1; then
  exec "$script_dir/sql-grant-identity.sh"
fi

echo "postprovision: go-sqlcmd not found, so the app identity has no database user yet."
echo "  Install go-sqlcmd, allow your address on server $AZURE_SQL_SERVER_NAME, then run:"
echo "  infra/scripts/sql-grant-identity.sh"
echo "  (details: docs/operations.md, 'Azure SQL: the post-deploy step')"
