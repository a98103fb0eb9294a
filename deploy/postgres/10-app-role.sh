#!/bin/sh
# Runs once, when the postgres container creates its data folder. POSTGRES_USER (clinic) owns
# the database and migrates; the application connects as clinic_app, which owns nothing and gets
# its rights from `migrate` (clinic/db_roles.py). README: Security, two database roles.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE clinic_app LOGIN PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
