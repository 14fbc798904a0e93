"""Batch plate rendering benchmark: N plates (default 15,000) into one PDF; prints plates/s.

    .venv/bin/python scripts/bench_plates.py [--count 15000] [--workers N] [--out /tmp/plates.pdf]

Renders synthetic shops (varied Chinese sign names and addresses, a quarter without an
inspection) through the same code path as `flask plates` (services/plates.render_batch): chunks
drawn in worker processes, merged in order with pypdf. Target: >= 100 plates/s on 2 cores.
"""
import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from huishang.services.registry import codes  # noqa: E402
from huishang.services.scan import plates, qr  # noqa: E402

NAMES = ["老上海生煎", "阿大葱油饼", "徐家汇面馆", "小杨烧烤", "湘味小厨", "兰州拉面", "便利蜂",
         "全家便利店", "果果水果", "好德超市", "沙县小吃", "味千拉面", "新疆大盘鸡", "早餐铺"]
ROADS = ["漕溪北路", "天钥桥路", "肇嘉浜路", "衡山路", "宜山路", "虹桥路", "龙华中路", "田林路"]


def synthetic(n: int, base_url: str) -> list:
    rng = random.Random(3)
    out = []
    for i in range(n):
        out.append(plates.PlateData(
            codes.mint(), 1, f"{rng.choice(NAMES)}（{rng.choice(ROADS)}店）{i}",
            f"徐汇区{rng.choice(ROADS)}{rng.randint(1, 2999)}号{rng.randint(1, 30)}室", "徐汇区",
            base_url))
    return out


def _cpu_seconds() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=15000)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--anchor", type=int, default=500, help="codes for the QR-only anchor")
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "bench_plates.pdf"))
    args = parser.parse_args()
    data = synthetic(args.count, "https://hs.xuhui.gov.cn")
    # Anchor, same run: the QR matrix alone (mask choice included), one core, uncached codes.
    anchor = synthetic(args.anchor, "https://hs.xuhui.gov.cn/anchor")
    start = time.process_time()
    for item in anchor:
        qr.matrix.__wrapped__(item.url)
    qr_per_core = args.anchor / (time.process_time() - start)
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    with open(args.out, "wb") as fh:
        pages = plates.render_batch(data, fh, workers=args.workers)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_before
    size = os.path.getsize(args.out) / 1e6
    print(f"{pages} plates in {elapsed:.1f} s = {pages / elapsed:.0f} plates/s "
          f"({args.workers} workers, {os.cpu_count()} cores, {size:.0f} MB, "
          f"load avg {os.getloadavg()[0]:.1f})")
    # On a shared machine the wall clock mostly measures the neighbours; CPU time does not.
    print(f"CPU: {cpu:.1f} s in all processes = {pages / cpu:.0f} plates per CPU-second, "
          f"i.e. {pages / cpu * (os.cpu_count() or 1):.0f} plates/s with {os.cpu_count()} idle cores")
    print(f"anchor: QR matrix alone {qr_per_core:.0f} codes per CPU-second on one core; "
          f"plates per CPU-second / QR-only = {pages / cpu / qr_per_core:.2f}; "
          f"wall plates/s / ({os.cpu_count()} x QR-only) = "
          f"{pages / elapsed / (qr_per_core * (os.cpu_count() or 1)):.2f}")


if __name__ == "__main__":
    main()
