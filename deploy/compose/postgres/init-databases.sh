#!/bin/sh
# Runs once, when the compose PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# One server, one database per service, each owned by its own login role that only it may
# connect with: the ownership boundary of production (one PostgreSQL per service) without
# seven servers on a laptop. See docs/deploy.md ("Why one PostgreSQL server in compose").
#
# service:database pairs: keep in step with polyshop/services.py (tests/deploy checks it).
set -eu

SERVICE_DATABASES="auth:auth_db products:product_db inventory:inventory_db orders:order_db payments:payment_db notifications:notification_db analytics:analytics_db"

# DEV DEFAULT: one password for every service role, from the compose environment.
: "${POLYSHOP_DB_PASSWORD:?set POLYSHOP_DB_PASSWORD}"

for pair in $SERVICE_DATABASES; do
    role="${pair%%:*}"
    database="${pair#*:}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$role" -v database="$database" -v password="$POLYSHOP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"role";
SQL
done
