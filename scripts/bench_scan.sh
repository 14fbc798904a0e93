#!/usr/bin/env bash
# Citizen scan throughput versus a one-route Flask hello-world, same gunicorn settings, same run.
#
#   scripts/bench_scan.sh            # 100,000 shops, 16 connections, 20 s per target
#   SHOPS=100000 DURATION=30s CONNECTIONS=16 WORKERS=2 GTHREADS=8 scripts/bench_scan.sh
#
# Needs PostgreSQL on PGHOST (default 127.0.0.1, user postgres), gunicorn in .venv, and wrk
# (apt-get install -y wrk). Uses the scratch database huishang_bench_scan (dropped and rebuilt;
# REUSE=1 keeps it from a previous run).
# Target: scan ≥ 0.5 × hello-world requests/s, scan p99 < 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
SHOPS=${SHOPS:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
WORKERS=${WORKERS:-2}
GTHREADS=${GTHREADS:-8}
THREADS=${THREADS:-2}
PGHOST=${PGHOST:-127.0.0.1}
DB=huishang_bench_scan
PY=.venv/bin/python
WORK=$(mktemp -d)
APP_PORT=${APP_PORT:-8731}
HELLO_PORT=${HELLO_PORT:-8732}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

export DATABASE_URL="postgresql://postgres@${PGHOST}:5432/${DB}"
export SECRET_KEY=bench-only HUISHANG_ENV=production PUBLIC_BASE_URL=http://127.0.0.1:${APP_PORT}
if [ "${REUSE:-0}" = 1 ]; then  # REUSE=1: keep the database from a previous run
  psql -h "$PGHOST" -U postgres -At -d "$DB" -c "SELECT code FROM shops ORDER BY random() LIMIT 1000" > "$WORK/codes.txt"
else
  dropdb -h "$PGHOST" -U postgres --if-exists "$DB"
  createdb -h "$PGHOST" -U postgres "$DB"
  $PY scripts/bench_scan_data.py "$SHOPS" "$WORK/codes.txt"
fi

{
  echo "codes = {"; sed 's/.*/"&",/' "$WORK/codes.txt"; echo "}"
  cat <<'LUA'
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/s/" .. codes[(i % #codes) + 1])
end
LUA
} > "$WORK/rotate.lua"

# Same settings for both apps; an empty config file keeps deploy/gunicorn.conf.py out of it.
GUNICORN=(.venv/bin/gunicorn -c scripts/bench_gunicorn.conf.py --workers "$WORKERS" --worker-class gthread
          --threads "$GTHREADS" --log-level warning)
"${GUNICORN[@]}" --bind 127.0.0.1:$APP_PORT wsgi:app & APP_PID=$!
"${GUNICORN[@]}" --bind 127.0.0.1:$HELLO_PORT --chdir scripts bench_hello:app & HELLO_PID=$!
trap 'kill $APP_PID $HELLO_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
wait_for() { for _ in $(seq 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2; exit 1; }
wait_for "http://127.0.0.1:$APP_PORT/healthz"
wait_for "http://127.0.0.1:$HELLO_PORT/"
first=$(head -1 "$WORK/codes.txt")
curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/s/$first"  # fail early if the page errors
# hello-world first, then the scan page right after its warm-up (a warm-up under load can take
# a minute; measuring hello-world in between would let the cached faces age past SCAN_CACHE_FRESH).
wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s "http://127.0.0.1:$HELLO_PORT/" >/dev/null
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "http://127.0.0.1:$HELLO_PORT/" | tee "$WORK/hello.txt"
# Warm-up: every worker renders each of the 1,000 faces once (a busy day's steady state).
$PY scripts/bench_scan_warm.py "http://127.0.0.1:$APP_PORT" "$WORK/codes.txt" "$CONNECTIONS"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$WORK/rotate.lua" \
  "http://127.0.0.1:$APP_PORT" | tee "$WORK/scan.txt"

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$1"; }
echo
echo "hello-world: $(rps "$WORK/hello.txt") req/s, p99 $(p99 "$WORK/hello.txt")"
echo "citizen scan: $(rps "$WORK/scan.txt") req/s, p99 $(p99 "$WORK/scan.txt") $(errors "$WORK/scan.txt")"
awk -v a="$(rps "$WORK/scan.txt")" -v b="$(rps "$WORK/hello.txt")" \
  'BEGIN { printf "ratio scan / hello-world: %.2f (target >= 0.5)\n", a / b }'
echo "shops: $SHOPS, gunicorn: $WORKERS gthread workers x $GTHREADS threads each, wrk: $THREADS threads, $CONNECTIONS connections, $DURATION"
