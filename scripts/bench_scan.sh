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
#
#   COLD=1 scripts/bench_scan.sh     # cold cache (issue 16): every shop's code in random order, each
#                                    # scanned at most once, no warm-up; target ≥ 0.8 × hello-world.
#                                    # The day's faces are published first (`jobs run scan-faces`, as the
#                                    # nightly job does; Chinese only); PUBLISHED=0 measures rendering alone;
#                                    # REUSE=1 PUBLISH_FIRST=0 keeps the faces a run published earlier today
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

if [ "${COLD:-0}" = 1 ]; then
  # Every code once: each wrk thread walks its own slice of all the shops' codes in random order.
  psql -h "$PGHOST" -U postgres -At -d "$DB" -c "SELECT code FROM shops ORDER BY random()" > "$WORK/codes.txt"
  {
    echo "codes = {"; sed 's/.*/"&",/' "$WORK/codes.txt"; echo "}"
    cat <<LUA
local threads = 0
function setup(thread) thread:set("slice", threads); threads = threads + 1 end
function init(args) offset = slice * math.floor(#codes / $THREADS); i = 0; wrapped = 0 end
request = function()
  i = i + 1
  if i > math.floor(#codes / $THREADS) then i = 1; wrapped = wrapped + 1 end
  return wrk.format("GET", "/s/" .. codes[offset + i])
end
LUA
  } > "$WORK/rotate.lua"
  export SCAN_PUBLISHED_FACES=${PUBLISHED:-1}
else
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
fi

if [ "${COLD:-0}" = 1 ] && [ "${PUBLISHED:-1}" = 1 ] && [ "${PUBLISH_FIRST:-1}" = 1 ]; then
  start=$(date +%s.%N)
  SCAN_PUBLISHED_LOCALES=zh .venv/bin/flask --app huishang jobs run scan-faces
  echo "published in $(echo "$(date +%s.%N) - $start" | bc) s"
elif [ "${COLD:-0}" = 1 ] && [ "${PUBLISHED:-1}" = 0 ]; then
  psql -h "$PGHOST" -U postgres -q -d "$DB" -c "DELETE FROM published_faces"
fi

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
[ "${COLD:-0}" = 1 ] || $PY scripts/bench_scan_warm.py "http://127.0.0.1:$APP_PORT" "$WORK/codes.txt" "$CONNECTIONS"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$WORK/rotate.lua" \
  "http://127.0.0.1:$APP_PORT" | tee "$WORK/scan.txt"

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$1"; }
echo
echo "hello-world: $(rps "$WORK/hello.txt") req/s, p99 $(p99 "$WORK/hello.txt")"
echo "citizen scan: $(rps "$WORK/scan.txt") req/s, p99 $(p99 "$WORK/scan.txt") $(errors "$WORK/scan.txt")"
requests() { awk '/requests in/ {print $1}' "$1"; }
if [ "${COLD:-0}" = 1 ]; then
  echo "cold: $(requests "$WORK/scan.txt") requests over $(wc -l < "$WORK/codes.txt") distinct codes" \
       "(each scanned at most once while the requests stay below the number of codes)"
fi
awk -v a="$(rps "$WORK/scan.txt")" -v b="$(rps "$WORK/hello.txt")" -v cold="${COLD:-0}" \
  'BEGIN { printf "ratio scan / hello-world: %.2f (target >= %s)\n", a / b, cold == 1 ? "0.8, cold" : "0.5" }'
echo "shops: $SHOPS, gunicorn: $WORKERS gthread workers x $GTHREADS threads each, wrk: $THREADS threads, $CONNECTIONS connections, $DURATION"
