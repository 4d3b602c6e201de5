#!/usr/bin/env bash
# Installs Debian's PostgreSQL, starts it on loopback and creates the role and database the tests use
# (NTA_TEST_PG_URL defaults to postgres://nta:nta@127.0.0.1:5432/nta_test). Idempotent; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$version" main start
fi
psql_admin() { su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -d postgres -tA -c \"$1\""; }
# The tests create a scratch database per test, hence CREATEDB.
if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = 'nta'")" != 1 ]; then
  psql_admin "CREATE ROLE nta LOGIN CREATEDB PASSWORD 'nta'"
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = 'nta_test'")" != 1 ]; then
  psql_admin "CREATE DATABASE nta_test OWNER nta"
fi
echo "PostgreSQL $version ready: postgres://nta:nta@127.0.0.1:5432/nta_test"
