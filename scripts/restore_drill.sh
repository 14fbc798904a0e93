#!/usr/bin/env bash
# Restore drill: restore the latest backup into a scratch database and check that every table
# has exactly the rows counted when the backup was taken (scripts/backup.sh writes the counts in
# the dump's own snapshot). Run it monthly, and after any change to the backup job.
#
#   BACKUP_DIR=/var/backups/huishang scripts/restore_drill.sh
#   scripts/restore_drill.sh /path/to/huishang-20261128-020000.dump
#
# PG_ADMIN_URL is where the scratch database is created (default: postgres on the loopback).
# The scratch database (DRILL_DB, default huishang_restore_drill) is dropped first and, unless
# KEEP_DRILL_DB=1, dropped again afterwards. Exit status 0 only when every count matches.
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/var/backups/huishang}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
DRILL_DB="${DRILL_DB:-huishang_restore_drill}"
DUMP="${1:-$(ls -1t "${BACKUP_DIR}"/huishang-*.dump 2>/dev/null | head -n1 || true)}"
[[ -n "${DUMP}" && -f "${DUMP}" ]] || { echo "no dump found in ${BACKUP_DIR}" >&2; exit 2; }
COUNTS="${DUMP%.dump}.counts"
[[ -f "${COUNTS}" ]] || { echo "missing ${COUNTS} (take backups with scripts/backup.sh)" >&2; exit 2; }
DRILL_URL="${PG_ADMIN_URL%/*}/${DRILL_DB}"

echo "== restore drill: ${DUMP} -> ${DRILL_DB}"
started=$(date +%s.%N)
psql "${PG_ADMIN_URL}" -qAtX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"${DRILL_DB}\"" \
  -c "CREATE DATABASE \"${DRILL_DB}\""
pg_restore --no-owner --no-privileges --exit-on-error --dbname="${DRILL_URL}" "${DUMP}"
restored=$(date +%s.%N)

status=0
checked=0
while read -r table expected; do
  [[ -z "${table}" ]] && continue
  actual=$(psql "${DRILL_URL}" -qAtX -c "SELECT count(*) FROM \"${table}\"")
  checked=$((checked + 1))
  if [[ "${actual}" != "${expected}" ]]; then
    echo "MISMATCH ${table}: backup counted ${expected}, restore has ${actual}"
    status=1
  fi
done < "${COUNTS}"
missing=$(psql "${DRILL_URL}" -qAtX -c "SELECT count(*) FROM information_schema.tables WHERE table_schema='public' AND table_type='BASE TABLE'")
if [[ "${missing}" != "${checked}" ]]; then
  echo "MISMATCH: ${checked} tables in the counts file, ${missing} in the restore"
  status=1
fi
# The schema version travels with the data: the app can start on the restore without migrating.
version=$(psql "${DRILL_URL}" -qAtX -c "SELECT version_num FROM alembic_version" 2>/dev/null || echo "none")

printf 'restored in %.1f s; %d tables checked; alembic version %s; total rows %s\n' \
  "$(echo "${restored} - ${started}" | bc)" "${checked}" "${version}" \
  "$(awk '{s += $2} END {print s}' "${COUNTS}")"
if [[ "${KEEP_DRILL_DB:-0}" != "1" ]]; then
  psql "${PG_ADMIN_URL}" -qAtX -c "DROP DATABASE IF EXISTS \"${DRILL_DB}\""
fi
[[ ${status} -eq 0 ]] && echo "PASS: every table has the rows counted at backup time" || echo "FAIL"
exit ${status}
