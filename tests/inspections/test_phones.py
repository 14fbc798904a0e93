"""Issue 17 on the server side: the merchant's signature (checked, stored, on the page and the
sheet), failures first, the co-inspector list by display name and its server check, the
inspector's assigned visits, the manifest and service worker, and a kept supervision page that
is not counted as a scan."""
import base64
import io
from datetime import timedelta

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Inspection, PlanItem, today
from huishang.services import planning
from huishang.services.inspections import result_sheet
from tests.factories import make_inspector, make_shop
from tests.inspections.test_inspections import form_data, template


def png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_signature_stored_shown_and_printed_failures_first(client, login_as, app):
    shop, me, co = make_shop(), make_inspector(), make_inspector()
    login_as(me)
    tpl = template()
    data = form_data(shop, co, tpl, fail_general=1, client_id="sign-client-1")
    data["signature"] = png_data_url()
    r = client.post(f"/admin/shops/{shop.code}/inspections/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    inspection = db.session.scalar(select(Inspection))
    assert inspection.signature and inspection.signature.startswith(f"signatures/{shop.code}/")
    picture = client.get(f"/admin/inspections/{inspection.id}/signature")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    picture.close()
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    failed = next(i for i in tpl.items if not i.key)
    everything = page.index("全部检查项")
    assert page.index("不符合项（1项）") < everything and page.index(failed.text) < everything
    assert [item.id for item, _ in result_sheet.failures(inspection)] == [failed.id]
    pdf = client.get(f"/admin/inspections/{inspection.id}/sheet.pdf").data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert text.index("不符合项（共1项）") < text.index("检查项目"), text[:600]  # the findings before the items
    assert b"/Subtype /Image" in pdf


def test_an_unreadable_signature_is_named_and_nothing_is_written(client, login_as):
    shop, me, co = make_shop(), make_inspector(), make_inspector()
    login_as(me)
    for bad in ("data:image/png;base64,@@@", "data:image/png;base64," + base64.b64encode(b"not a png").decode(),
                "javascript:alert(1)"):
        data = form_data(shop, co, template(), client_id="sign-client-2")
        data["signature"] = bad
        r = client.post(f"/admin/shops/{shop.code}/inspections/new", data=data)
        assert r.status_code in (400, 422), r.status_code
        assert "签名" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_the_co_inspector_is_chosen_by_name_among_the_streets_staff_only(client, login_as):
    shop, me = make_shop(), make_inspector()
    partner = make_inspector()
    elsewhere = make_inspector(streets=("天平路街道",))
    partner.display_name = "李晓明"
    db.session.commit()
    login_as(me)
    page = client.get(f"/admin/shops/{shop.code}/inspections/new").get_data(as_text=True)
    assert ">李晓明</option>" in page and f"（{partner.username}）" not in page
    assert elsewhere.username not in page
    data = form_data(shop, elsewhere, template(), client_id="co-client-1")
    r = client.post(f"/admin/shops/{shop.code}/inspections/new", data=data)
    assert r.status_code == 422 and "辖区" in r.get_data(as_text=True)


def test_assigned_visits_today_and_overdue_only(app):
    me, partner, other = make_inspector(), make_inspector(), make_inspector()
    on = today()
    shops = [make_shop(sign_name=f"访店{n}") for n in range(4)]
    for shop, due, lead, status in ((shops[0], on - timedelta(days=3), me, "open"),
                                    (shops[1], on, partner, "open"),          # me as co-inspector
                                    (shops[2], on + timedelta(days=5), me, "open"),
                                    (shops[3], on, other, "open")):
        db.session.add(PlanItem(shop_id=shop.id, cycle=f"v{shop.id}", street_id=shop.street_id, due_on=due,
                                reason="routine", static_tier="A", dynamic_grade="良好", generated_on=on,
                                status=status, inspector_id=lead.id,
                                co_inspector_id=me.id if lead is partner else partner.id))
    db.session.commit()
    visits, later = planning.assigned_visits(me, on)
    assert [v.shop.sign_name for v in visits] == ["访店0", "访店1"] and later == 1
    assert visits[0].overdue and visits[0].days_overdue == 3 and not visits[1].overdue


def test_the_inspector_lands_on_the_patrol_home(client, login_as):
    me = make_inspector()
    from tests import factories

    r = client.post("/login", data={"username": me.username, "password": factories.PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/patrol")
    page = client.get("/admin/patrol").get_data(as_text=True)
    assert "今天没有分配给您的检查" in page and 'rel="manifest"' in page and "<script>" not in page


def test_manifest_and_service_worker_at_the_root(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.json["start_url"] == "/admin/patrol" and manifest.json["scope"] == "/"
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache" and b"caches" in worker.data
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]


def test_a_kept_supervision_page_is_not_a_scan(client, login_as):
    from huishang.models import ScanCount
    from huishang.services.scan import flush_scans

    shop, me = make_shop(), make_inspector()
    login_as(me)

    def supervised():
        flush_scans()  # the buffer is per process: drain what other tests left first
        return sum(db.session.scalars(select(ScanCount.count).where(ScanCount.shop_id == shop.id,
                                                                    ScanCount.face == "supervise")).all())
    before = supervised()
    assert client.get(f"/s/{shop.code}", headers={"X-Patrol-Prefetch": "1"}).status_code == 200
    assert supervised() == before
    assert client.get(f"/s/{shop.code}").status_code == 200
    assert supervised() == before + 1
