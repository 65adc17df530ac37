#!/usr/bin/env bash
# Backs up and restores roadbook-server's PostgreSQL database (docs/operations.md, "Backup and
# restore"). Needs pg_dump, pg_restore and psql of the server's major version or newer.
#
#   deploy/backup.sh backup  DATABASE_URL FILE   a custom-format dump, checked readable
#   deploy/backup.sh restore DATABASE_URL FILE   into an empty database, or over the old one
#
# Stop the servers before a restore (kubectl scale deployment/roadbook-server --replicas=0) and
# start them after: a server that kept running would answer from connections to the old data.
set -euo pipefail

usage() {
  echo "usage: deploy/backup.sh backup|restore DATABASE_URL FILE" >&2
  exit 2
}
[ $# -eq 3 ] || usage
command=$1 url=$2 file=$3
case "$url" in
  postgres://* | postgresql://*) ;;
  *) echo "backup: '$url' is not a postgres:// URL" >&2; exit 2 ;;
esac

summary() {
  psql "$url" -At -v ON_ERROR_STOP=1 -c "
    SELECT 'schema ' || coalesce(max(version), 0) FROM schema_migrations;
    SELECT (SELECT count(*) FROM programs) || ' programs, '
        || (SELECT count(*) FROM items) || ' items, '
        || (SELECT count(*) FROM changes) || ' changes, '
        || (SELECT count(*) FROM audit) || ' audit events';"
}

case "$command" in
  backup)
    # Written beside the target and renamed once whole and readable: a failed backup never
    # leaves a file that looks like one.
    pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
    pg_restore --list "$file.partial" >/dev/null
    mv "$file.partial" "$file"
    echo "backed up to $file ($(stat -c %s "$file") bytes): $(summary | paste -sd ';' | sed 's/;/; /')"
    ;;
  restore)
    [ -f "$file" ] || { echo "backup: no backup at $file" >&2; exit 1; }
    pg_restore --list "$file" >/dev/null \
      || { echo "backup: $file is not a backup pg_restore can read" >&2; exit 1; }
    # One transaction: a restore that fails leaves the database as it was.
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
      --exit-on-error --dbname="$url" "$file"
    # The restored database is a history of its own: positions after the backup will be
    # written again with other changes. Clients see the new history id, take their programs
    # afresh and send again what they made after the backup (docs/operations.md). A backup
    # from before histories existed gets its first one when the server starts.
    history=$(psql "$url" -At -v ON_ERROR_STOP=1 -c "
      SELECT CASE WHEN to_regproc('roadbook_new_history') IS NULL THEN 'none' END;" )
    if [ "$history" != "none" ]; then
      history=$(echo "SELECT roadbook_new_history(:'why')" \
        | psql "$url" -At -v ON_ERROR_STOP=1 -v why="restored from $(basename "$file")")
    fi
    echo "restored $file: $(summary | paste -sd ';' | sed 's/;/; /'); new history ${history}"
    ;;
  *) usage ;;
esac
