SELECT pg_advisory_unlock(hashtext('inventory-migrations:' || coalesce(current_schema(), '')))
