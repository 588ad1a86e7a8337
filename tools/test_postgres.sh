#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster on this machine (if needed) and create an empty
# test database; prints the URL to use as TEST_DATABASE_URL. Needs root (CI, dev boxes).
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='console'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role console login password 'console'\""
su postgres -c "psql -qc 'alter role console createdb'" >/dev/null
# The test database and the per-worker ones pytest-xdist makes from it (console_test_gw0 …).
for db in $(su postgres -c "psql -qtAc \"select datname from pg_database where datname ~ '^console_test(_gw[0-9]+)?$'\""); do
  su postgres -c "psql -qc 'drop database if exists $db'" >/dev/null 2>&1
done
su postgres -c "psql -qc 'create database console_test owner console'" >/dev/null
echo "postgresql://console:console@127.0.0.1:5432/console_test"
