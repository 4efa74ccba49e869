-- Held on its own session for the whole upgrade, so two processes migrating at once run one after the other.
SELECT pg_advisory_lock(hashtext('inventory-migrations:' || coalesce(current_schema(), '')))
