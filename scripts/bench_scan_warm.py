"""Warm-up for scripts/bench_scan.sh: N keep-alive connections each request every code once.

A keep-alive connection stays with the gunicorn worker that accepted it, so when each connection
walks all codes, every worker holding a connection has rendered every face once — the steady
state of a busy day — whatever the machine's load. Usage: bench_scan_warm.py URL CODES_FILE N
"""
import http.client
import random
import sys
import threading
import time
from urllib.parse import urlsplit


def walk(host: str, port: int, codes: list[str], errors: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    for code in random.sample(codes, len(codes)):
        conn.request("GET", f"/s/{code}")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            errors.append(response.status)


def main(url: str, codes_file: str, connections: int) -> None:
    parts = urlsplit(url)
    codes = open(codes_file).read().split()
    errors: list = []
    started = time.perf_counter()
    threads = [threading.Thread(target=walk, args=(parts.hostname, parts.port, codes, errors))
               for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"warm-up: {connections} connections x {len(codes)} codes in "
          f"{time.perf_counter() - started:.1f} s, {len(errors)} errors")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
