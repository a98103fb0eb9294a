#!/bin/sh
# Runs once, when the postgres container creates its data folder: the role the streaming
# replica (docker-compose's postgres-replica) clones and follows the primary as, allowed to
# connect for replication from the compose network only with its password. README: Deploying.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v replication_password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
