#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for tests and benchmarks.
# Usage: scripts/start-postgres.sh [port]   -> prints the connection URL on its last line.
# PostgreSQL refuses to run as root, so the cluster is owned by the postgres user under /tmp.
set -euo pipefail
port="${1:-55432}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql" >&2; exit 1; }
dir="/tmp/garden-pg-$port"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_pg "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
