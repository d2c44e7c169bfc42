#!/usr/bin/env bash
# scripts/with-postgres.sh CMD [ARG...]: run CMD with TEST_DATABASE_URL naming a
# PostgreSQL database that answers; `make test` runs pytest through it.
#
# - TEST_DATABASE_URL set: CMD runs against it. When it does not answer, this
#   fails at once, saying so, and never starts a server of its own: a URL
#   someone chose is never silently replaced.
# - TEST_DATABASE_URL unset and postgresql://postgres@127.0.0.1:5432/test
#   answers: CMD runs against that, as it always has.
# - Otherwise: a throwaway cluster. Debian's `postgresql` package is installed
#   when missing (apt-get, through sudo unless root); initdb makes a cluster in
#   a temporary folder (trust authentication, superuser `postgres`, listening
#   on 127.0.0.1 only, on a free port, with a database `test`); CMD runs
#   against it; the server is stopped and the folder removed afterwards, also
#   when CMD fails or on Ctrl-C. initdb and postgres refuse to run as root, so
#   as root they run as the `postgres` user.
#
# The exit code is CMD's (130 after Ctrl-C). The probe uses psycopg2 from
# $VENV (default .venv), as the tests do.
#
# WITH_POSTGRES_DEFAULT_URL (for testing this script only) replaces the default
# URL probed above, e.g. postgresql://postgres@127.0.0.1:1/test pretends that no
# server runs on 5432, to exercise the throwaway path on a machine where one does.
set -euo pipefail
PYTHON=${VENV:-.venv}/bin/python
DEFAULT_URL=${WITH_POSTGRES_DEFAULT_URL:-postgresql://postgres@127.0.0.1:5432/test}

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

# probe URL: succeed when a connection to URL opens; otherwise print why on stdout.
probe() {
  "$PYTHON" - "$1" <<'PY'
import sys

import psycopg2

try:
    psycopg2.connect(sys.argv[1], connect_timeout=5).close()
except psycopg2.Error as exc:
    print(str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    sys.exit(1)
PY
}

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  if ! why=$(probe "$TEST_DATABASE_URL"); then
    echo "with-postgres.sh: TEST_DATABASE_URL=$TEST_DATABASE_URL does not answer ($why)." >&2
    echo "Start that server, point TEST_DATABASE_URL at one that answers, or unset it to use 127.0.0.1:5432 or a throwaway cluster." >&2
    exit 1
  fi
  exec "$@"
fi

if why=$(probe "$DEFAULT_URL"); then
  export TEST_DATABASE_URL=$DEFAULT_URL
  exec "$@"
fi
echo "with-postgres.sh: no PostgreSQL at $DEFAULT_URL ($why); starting a throwaway cluster." >&2

# Debian's server binaries, newest version first.
find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/createdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}
if ! PGBIN=$(find_bin); then
  echo "with-postgres.sh: installing Debian's postgresql package (needed for the throwaway test cluster)" >&2
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
  PGBIN=$(find_bin) || { echo "with-postgres.sh: no initdb under /usr/lib/postgresql/*/bin after installing postgresql" >&2; exit 1; }
fi

if [ "$(id -u)" = 0 ]; then
  cluster=$(mktemp -d /tmp/with-postgres.XXXXXX)
  chown postgres: "$cluster"
  as_owner() { (cd "$cluster" && runuser -u postgres -- "$@"); }
else
  cluster=$(mktemp -d "${TMPDIR:-/tmp}/with-postgres.XXXXXX")
  as_owner() { (cd "$cluster" && "$@"); }
fi

cleanup() {
  trap - EXIT INT TERM HUP
  local pid=
  [ -s "$cluster/data/postmaster.pid" ] && pid=$(head -1 "$cluster/data/postmaster.pid")
  as_owner "$PGBIN/pg_ctl" -D "$cluster/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -rf "$cluster"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

as_owner "$PGBIN/initdb" --pgdata="$cluster/data" --username=postgres --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$cluster/initdb.log" 2>&1 || {
  cat "$cluster/initdb.log" >&2
  echo "with-postgres.sh: initdb failed" >&2
  exit 1
}

# A free port, asked of the kernel; a second try covers a port taken in between.
started=
for _ in 1 2 3; do
  port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if as_owner "$PGBIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 -s \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  tail -20 "$cluster/server.log" >&2 || true
  echo "with-postgres.sh: the throwaway PostgreSQL did not start" >&2
  exit 1
fi
"$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test

export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/test
# pg_dump and pg_restore (tests/test_restore.py) of the server's own version.
export PATH=$PGBIN:$PATH
echo "with-postgres.sh: throwaway PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL ($cluster)" >&2

status=0
"$@" || status=$?
exit "$status"
