#!/usr/bin/env bash
# Nightly backup: a consistent pg_dump (custom format) plus the row count of every table taken
# in the same snapshot, so that scripts/restore_drill.sh can prove a restore is complete.
#
#   DATABASE_URL=postgresql://huishang@127.0.0.1:5432/huishang BACKUP_DIR=/var/backups/huishang scripts/backup.sh
#
# Writes BACKUP_DIR/huishang-YYYYmmdd-HHMMSS.dump and .counts; keeps the newest KEEP (default 14).
set -euo pipefail

DB_URL="${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
DB_URL="${DB_URL/postgresql+psycopg:/postgresql:}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/huishang}"
KEEP="${KEEP:-14}"
STAMP="$(date -u +%Y%m%d-%H%M%S)"
BASE="${BACKUP_DIR}/huishang-${STAMP}"
mkdir -p "${BACKUP_DIR}"
umask 077  # dumps hold personal data (complainants' phones, staff records)

# One repeatable-read transaction exports its snapshot; pg_dump and the counts both use it.
coproc PSQL { psql "${DB_URL}" -qAtX -v ON_ERROR_STOP=1; }
send() { echo "$1" >&"${PSQL[1]}"; }
send "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
send "SELECT pg_export_snapshot();"
read -r SNAPSHOT <&"${PSQL[0]}"

pg_dump --format=custom --snapshot="${SNAPSHOT}" --file="${BASE}.dump.part" "${DB_URL}"

send "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE';"
read -r NTABLES <&"${PSQL[0]}"
send "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1;"
TABLES=()
for _ in $(seq 1 "${NTABLES}"); do read -r t <&"${PSQL[0]}"; TABLES+=("$t"); done
: > "${BASE}.counts.part"
for t in "${TABLES[@]}"; do
  send "SELECT '${t}' || ' ' || count(*) FROM \"${t}\";"
  read -r line <&"${PSQL[0]}"
  echo "${line}" >> "${BASE}.counts.part"
done
send "COMMIT;"
exec {PSQL[1]}>&-
wait "${PSQL_PID}" 2>/dev/null || true

mv "${BASE}.dump.part" "${BASE}.dump"
mv "${BASE}.counts.part" "${BASE}.counts"
echo "backup: ${BASE}.dump ($(du -h "${BASE}.dump" | cut -f1)), ${#TABLES[@]} tables counted"

# Keep the newest KEEP backups.
ls -1t "${BACKUP_DIR}"/huishang-*.dump 2>/dev/null | tail -n +"$((KEEP + 1))" | while read -r old; do
  rm -f "${old}" "${old%.dump}.counts"
done
