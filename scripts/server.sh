#!/usr/bin/env bash
# `make server`: team sync on one machine, for one person to try. Starts a throwaway PostgreSQL
# cluster, the development identity provider the tests use (tests/idp) and roadbook-server, all
# on 127.0.0.1, prints what to run, and stops all three (and deletes their data) on Ctrl+C.
# Expects the binaries built (make server builds them) and tests/idp installed (setup does).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${ROADBOOK_BIN_DIR:-target/debug}"
for b in roadbook-server roadbook; do
  [ -x "$bin/$b" ] || { echo "server: $bin/$b is missing: run make server" >&2; exit 1; }
done
[ -d tests/idp/node_modules/oidc-provider ] || { echo "server: tests/idp is not installed: run make server" >&2; exit 1; }
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$pgbin/initdb" ] || { echo "server: PostgreSQL is missing: run make server" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work="$(mktemp -d -t roadbook-server-XXXXXX)"
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses root: the cluster belongs to the postgres user.
  mkdir "$work/pg" && chown postgres "$work/pg"
  as_pg=(runuser -u postgres --)
else
  mkdir "$work/pg"
fi

server_pid=""
idp_pid=""
stop() {
  trap - INT TERM EXIT
  for pid in $server_pid $idp_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  exec 3>&-
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
  echo "Stopped the server, the identity provider and the database, and deleted their data."
}
trap stop INT TERM EXIT

pg_port="$(free_port)"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U roadbook --auth=trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U roadbook roadbook

idp_port="$(free_port)"
# The provider stops when its stdin ends: it reads a FIFO this script holds open for writing, so
# it goes with the script however the script ends.
mkfifo "$work/idp.in"
ROADBOOK_IDP_PORT="$idp_port" ROADBOOK_IDP_PEOPLE='{
  "lee": {"name": "Lee Lead", "email": "lee@example.test", "groups": ["rb-leads"]},
  "sam": {"name": "Sam Editor", "email": "sam@example.test", "groups": ["rb-editors"]},
  "vic": {"name": "Vic Viewer", "email": "vic@example.test", "groups": ["rb-viewers"]},
  "ada": {"name": "Ada Admin", "email": "ada@example.test", "groups": ["rb-admins"]}
}' node tests/idp/provider.mjs <"$work/idp.in" >"$work/idp.log" 2>&1 &
idp_pid=$!
exec 3>"$work/idp.in"
for _ in $(seq 100); do grep -q '^ready ' "$work/idp.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready ' "$work/idp.log" || { echo "server: the identity provider did not start:" >&2; cat "$work/idp.log" >&2; exit 1; }

port="${ROADBOOK_SERVER_PORT:-$(free_port)}"
ROADBOOK_DATABASE_URL="postgres://roadbook@127.0.0.1:$pg_port/roadbook" \
ROADBOOK_LISTEN="127.0.0.1:$port" \
ROADBOOK_ISSUER="http://127.0.0.1:$idp_port" \
ROADBOOK_AUDIENCE="api://roadbook" \
ROADBOOK_TOKEN_TYPE="at+jwt" \
ROADBOOK_ROLES="rb-leads=lead,rb-editors=editor,rb-viewers=viewer,rb-admins=admin" \
ROADBOOK_CLIENT_ID="roadbook-desktop" \
ROADBOOK_SCOPES="openid profile email offline_access groups roadbook" \
  "$bin/roadbook-server" >"$work/server.out" 2>"$work/server.log" 3>&- &
server_pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server: roadbook-server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

cat <<EOF
Roadbook's server runs on this machine, for a try:
  server             http://127.0.0.1:$port
  identity provider  http://127.0.0.1:$idp_port (for development: any password)
  people             lee (lead), sam (editor), vic (viewer), ada (admin)
  data               $work (deleted when this stops)

Share a program from the command line:
  roadbook login --server http://127.0.0.1:$port
  roadbook publish
or in the app: Settings, Team, type http://127.0.0.1:$port as the server, Sign in.
Ctrl+C stops the server, the identity provider and the database.
EOF
wait "$server_pid"
