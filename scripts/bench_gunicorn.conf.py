# Deliberately empty: scripts/bench_scan.sh passes every gunicorn setting on the command line.
