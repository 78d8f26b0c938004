#!/usr/bin/env bash
# Find Postgres and print a connection URL.
#   scripts/db.sh server        URL of the server (for tests that create their own databases)
#   scripts/db.sh url NAME      URL of database NAME, created if missing
#   scripts/db.sh fresh NAME    URL of database NAME, dropped and created anew
# Order: $DATABASE_URL; else a server on 127.0.0.1:5432; else a private cluster
# under target/pg started from the system's initdb/pg_ctl (installed if absent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-server}
name=${2:-gatehouse}
log() { printf '==> %s\n' "$*" >&2; }

need_client() {
  command -v psql >/dev/null && return
  log "installing the Postgres client"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >&2
}

private_cluster() {
  local dir="$root/target/pg" port=5433
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$bin" ]; then
    log "installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  local as=()
  # initdb refuses to run as root: run the cluster as the postgres user.
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  mkdir -p "$dir/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "creating a private Postgres cluster in $dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
  fi
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    log "starting the private Postgres cluster on port $port"
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  echo "postgres://postgres@127.0.0.1:$port"
}

server_url() {
  if [ -n "${DATABASE_URL:-}" ]; then
    local u=${DATABASE_URL%%\?*}
    echo "${u%/*}"
  elif (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    echo "postgres://postgres@127.0.0.1:5432"
  else
    private_cluster
  fi
}

base=$(server_url)
case "$cmd" in
  server) echo "$base/postgres" ;;
  url|fresh)
    if [ "$cmd" = url ] && [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; exit 0; fi
    need_client
    if [ "$cmd" = fresh ]; then
      psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
    fi
    if [ -z "$(psql -tA "$base/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
      psql -q "$base/postgres" -c "CREATE DATABASE \"$name\"" >/dev/null
    fi
    echo "$base/$name"
    ;;
  *) echo "usage: $0 server | url NAME | fresh NAME" >&2; exit 2 ;;
esac
