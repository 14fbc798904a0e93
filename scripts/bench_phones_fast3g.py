"""Page weight and load time of the inspector's phone pages on a throttled "Fast 3G" profile in
Chromium (issue 17): the inspector's home (/admin/patrol — before issue 17 the inspector landed on
the registry, /admin/registry) and the checklist form (/admin/shops/<code>/inspections/new).

Usage (Debian's Chromium and Playwright, as the browser tests):
  PYTHONPATH=$PWD .venv/bin/python scripts/bench_phones_fast3g.py [RUNS]
Run it with PYTHONPATH pointing at another tree (e.g. main) to measure that tree's pages.

Serves a fresh app on a temporary SQLite file (one shop, an inspector and a partner, one plan item
assigned for today) with werkzeug, signs in on a 390x844 phone, then throttles the page through CDP:
Network.emulateNetworkConditions (1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT) and
Emulation.setCPUThrottlingRate 4. For each page it reports, median of RUNS (default 5):
  cold  — HTTP cache disabled, no service worker: every byte over the network;
  warm  — a second visit with the HTTP cache, no service worker;
  sw    — a second visit under the patrol service worker (static files from its cache; the page
          itself is fetched by the worker, whose bytes the page's CDP session does not see).
Weight is the sum of encodedDataLength of every response (bytes on the wire); load is the
navigation's loadEventEnd; DCL its domContentLoadedEventEnd.
"""
import os
import shutil
import statistics
import sys
import tempfile
import threading

if not os.environ.get("PYTHONPATH"):  # PYTHONPATH chooses the tree to measure
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}


def serve(folder):
    from werkzeug.serving import make_server

    from huishang import create_app
    from huishang.config import TestingConfig
    from huishang.extensions import db
    from huishang.services.reference import seed_reference_data
    from tests import factories

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite"
        UPLOAD_DIR = f"{folder}/uploads"
        SERVER_NAME = None

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        seed_reference_data()
        db.session.commit()
        shop = factories.make_shop(sign_name="老弄堂生煎", registered_on="2024-01-15")
        inspector, partner = factories.make_inspector(), factories.make_inspector()
        try:
            from huishang.models import today
            from huishang.models.grading import PlanItem

            db.session.add(PlanItem(shop_id=shop.id, cycle="bench", street_id=shop.street_id, due_on=today(),
                                    reason="routine", static_tier="A", dynamic_grade="良好", generated_on=today(),
                                    status="open", inspector_id=inspector.id, co_inspector_id=partner.id))
            db.session.commit()
        except Exception:  # noqa: BLE001 — an older tree without plan items: the home is then empty
            db.session.rollback()
        people = {"shop": shop.code, "inspector": inspector.username}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", people, app


def measure(page, cdp, url):
    sizes = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    nav = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; }""")
    return {"bytes": sum(sizes.values()), "requests": len(sizes), **nav}


def throttled(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    return cdp


def main(runs: int = 5):
    from playwright.sync_api import sync_playwright

    from tests import factories

    folder = tempfile.mkdtemp(prefix="phones-fast3g-")
    server, base, people, app = serve(folder)
    home = "/admin/patrol" if any(r.rule == "/admin/patrol" for r in app.url_map.iter_rules()) else "/admin/registry"
    pages = {"home " + home: base + home,
             "checklist": f"{base}/admin/shops/{people['shop']}/inspections/new"}
    chromium_path = shutil.which("chromium") or "/usr/bin/chromium"
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"])
            for label, url in pages.items():
                for mode in ("cold", "warm", "sw"):
                    rows = []
                    for _ in range(runs):
                        context = browser.new_context(**PHONE, service_workers="allow" if mode == "sw" else "block")
                        page = context.new_page()
                        page.goto(base + "/login")
                        page.fill("input[name=username]", people["inspector"])
                        page.fill("input[name=password]", factories.PASSWORD)
                        with page.expect_navigation():
                            page.click("button[type=submit]")
                        if mode != "cold":
                            page.goto(url, wait_until="load")  # the first visit fills the caches
                            page.wait_for_timeout(500)
                        cdp = throttled(context, page)
                        if mode == "cold":
                            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                        rows.append(measure(page, cdp, url))
                        context.close()
                    results[(label, mode)] = {
                        "bytes": statistics.median(r["bytes"] for r in rows),
                        "requests": statistics.median(r["requests"] for r in rows),
                        "dcl": statistics.median(r["dcl"] for r in rows),
                        "load": statistics.median(r["load"] for r in rows),
                    }
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"Fast 3G (1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT), CPU 4x, 390x844; median of {runs}")
    print(f"{'page':<28}{'mode':<6}{'KB':>8}{'req':>5}{'DCL ms':>9}{'load ms':>9}")
    for (label, mode), r in results.items():
        print(f"{label:<28}{mode:<6}{r['bytes'] / 1024:>8.1f}{r['requests']:>5.0f}{r['dcl']:>9.0f}{r['load']:>9.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
