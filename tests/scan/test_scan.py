"""The role-aware scan: routing matrix, not-genuine / replaced pages, privacy, caching, counts."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from huishang.extensions import db
from huishang.models import Licence, ScanCount, Shop, today
from huishang.services import registry
from huishang.services.registry import codes
from huishang.services.scan import faces as scans
from huishang.services.scan import plates
from huishang.services.scan.faces import counts as scan_counts
from tests.factories import make_inspector, make_merchant, make_property, make_regulator, make_shop

MARKERS = {"citizen": "scan-citizen", "manage": "scan-manage", "supervise": "scan-supervise",
           "not_genuine": "scan-invalid", "replaced": "scan-replaced"}


@pytest.fixture
def world():
    """A shop in 徐家汇街道 inside a complex, and one reissued plate."""
    from tests.factories import make_complex

    make_complex("港汇恒隆广场")
    shop = make_shop(complex="港汇恒隆广场", opening_hours="07:00-21:00")
    old = shop.code
    plates.reissue(shop, "铭牌遗失")
    db.session.commit()
    other = make_shop()
    return {"shop": shop, "old_code": old, "other": other}


def served(html: str) -> str:
    found = [face for face, marker in MARKERS.items() if f'class="{marker}' in html or f" {marker}" in html]
    assert len(found) == 1, found
    return found[0]


def forged_code(code: str) -> str:
    """Same shape, wrong check character."""
    wrong = next(c for c in codes.ALPHABET if c != code[-1])
    return code[:-1] + wrong


def mistyped_code(code: str) -> str:
    """One character of the body changed."""
    ch = next(c for c in codes.ALPHABET if c != code[3])
    return code[:3] + ch + code[4:]


def unknown_code() -> str:
    return codes.mint()


ROLES = {
    "anonymous": (None, "citizen"),
    "merchant_own": (lambda w: make_merchant(shops=[w["shop"]]), "manage"),
    "merchant_other": (lambda w: make_merchant(shops=[w["other"]]), "citizen"),
    "property_own": (lambda w: make_property("港汇恒隆广场"), "manage"),
    "property_other": (lambda w: make_property("美罗城"), "citizen"),
    "inspector_in": (lambda w: make_inspector(streets=("徐家汇街道",)), "supervise"),
    "inspector_out": (lambda w: make_inspector(streets=("天平路街道",)), "citizen"),
    "regulator_in": (lambda w: make_regulator(streets=("徐家汇街道", "湖南路街道")), "supervise"),
    "regulator_out": (lambda w: make_regulator(streets=("天平路街道",)), "citizen"),
    "regulator_district": (lambda w: make_regulator(), "supervise"),
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("kind", ["genuine", "forged", "mistyped", "replaced", "unknown"])
def test_routing_matrix(client, login_as, world, role, kind):
    make_user, expected_face = ROLES[role]
    if make_user:
        login_as(make_user(world))
    code = {"genuine": world["shop"].code, "forged": forged_code(world["shop"].code),
            "mistyped": mistyped_code(world["shop"].code), "replaced": world["old_code"],
            "unknown": unknown_code()}[kind]
    r = client.get(f"/s/{code}")
    html = r.get_data(as_text=True)
    if kind == "genuine":
        assert r.status_code == 200 and served(html) == expected_face
        note = "不在您的管辖范围" in html
        assert note == (role in ("inspector_out", "regulator_out"))
    elif kind == "replaced":
        assert r.status_code == 410 and served(html) == "replaced"
        assert f'href="/s/{world["shop"].code}"' in html
    else:
        assert r.status_code == 404 and served(html) == "not_genuine"
        assert "12315" in html
        assert world["shop"].sign_name not in html


def test_mistyped_code_costs_no_database_query(client, world):
    typo = mistyped_code(world["shop"].code)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = client.get(f"/s/{typo}")
        r2 = client.get("/api/v1/public/shops/NOT-A-CODE")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert r.status_code == 404 and r2.status_code == 404
    assert statements == []


def test_grouped_lower_case_code_is_accepted(client, world):
    shop = world["shop"]
    r = client.get(f"/s/{codes.display(shop.code).replace(' ', '-').lower()}")
    assert r.status_code == 200 and shop.sign_name in r.get_data(as_text=True)


def test_citizen_face_shows_public_facts_and_nothing_restricted(client, world):
    shop = world["shop"]
    registry.update_shop(shop, {"licence_no": "JY23101040012345", "licence_expires": "2030-01-01"})
    shop.credit_class, shop.latest_outcome, shop.latest_inspected_on = "D", "partial", date(2026, 3, 2)
    db.session.commit()
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    for public in (shop.sign_name, shop.address, "快餐", "07:00-21:00", "有效", "一般", "2026-03-02"):
        assert public in html, public
    for restricted in ("JY23101040012345", "2030-01-01", "13812341234", "张三", shop.entity.uscc,
                       shop.entity.name, "信用", "credit"):
        assert restricted not in html, restricted


def test_expired_licence_is_shown_as_expired_without_numbers(client, world):
    shop = world["shop"]
    expired = today() - timedelta(days=1)
    shop.licences.append(Licence(kind="food_business", number="JY999", expires_on=expired))
    db.session.commit()
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "已过期" in html and "JY999" not in html


def test_closed_shop_citizen_face_says_closed(client, world):
    registry.close_shop(world["shop"])
    db.session.commit()
    html = client.get(f"/s/{world['shop'].code}").get_data(as_text=True)
    assert "已注销" in html


def test_breakfast_offer_on_the_citizen_face(client, world):
    shop = world["shop"]
    registry.update_shop(shop, {"serves_breakfast": True, "breakfast_hours": "06:30-09:30",
                                "breakfast_offer": "生煎、豆浆", "breakfast_spend": 12})
    db.session.commit()
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "早餐供应" in html and "生煎、豆浆" in html and "06:30-09:30" in html


def test_supervision_face_shows_the_supervision_facts(client, login_as, world):
    shop = world["shop"]
    registry.update_shop(shop, {"licence_no": "JY23101040012345", "licence_expires": "2030-01-01"})
    shop.credit_class, shop.next_due_on = "C", date(2026, 12, 1)  # set after the update's regrading
    db.session.commit()
    login_as(make_inspector())
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    for fact in (shop.entity.uscc, "JY23101040012345", "2030-01-01", "2026-12-01", "13812341234"):
        assert fact in html, fact
    start = "admin.inspection_new" in client.application.view_functions
    with client.application.test_request_context():
        from flask import url_for

        link = url_for("admin.inspection_new", code=shop.code) if start else None
    assert ("开始检查" in html) == start
    if start:
        assert f'href="{link}"' in html


def test_management_face_for_own_merchant(client, login_as, world):
    shop = world["shop"]
    login_as(make_merchant(shops=[shop]))
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert served(html) == "manage" and shop.sign_name in html
    preview = client.get(f"/s/{shop.code}?view=public").get_data(as_text=True)
    assert served(preview) == "citizen"


def test_public_json_has_the_public_face_only(client, world):
    shop = world["shop"]
    registry.update_shop(shop, {"licence_no": "JY23101040012345", "licence_expires": "2030-01-01"})
    shop.credit_class, shop.latest_outcome, shop.latest_inspected_on = "D", "pass", date(2026, 3, 2)
    db.session.commit()
    r = client.get(f"/api/v1/public/shops/{shop.code}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["sign_name"] == shop.sign_name and body["licence_state"] == "valid"
    assert body["grade"] == {"outcome": "pass", "outcome_label": "符合", "face": "良好",
                             "inspected_on": "2026-03-02"}
    for key in ("credit_class", "phone", "contact", "licences", "uscc", "entity_name", "id",
                "next_due_on", "dynamic_grade", "unresponsive"):
        assert key not in body, key
    text = r.get_data(as_text=True)
    for value in ("JY23101040012345", "13812341234", "张三", shop.entity.uscc):
        assert value not in text, value


def test_public_json_errors(client, world):
    r = client.get(f"/api/v1/public/shops/{forged_code(world['shop'].code)}")
    assert r.status_code == 404 and "code" in r.get_json()["errors"]
    assert client.get(f"/api/v1/public/shops/{unknown_code()}").status_code == 404
    r = client.get(f"/api/v1/public/shops/{world['old_code']}")
    assert r.status_code == 410 and r.get_json()["current_code"] == world["shop"].code


# -- caching ------------------------------------------------------------------------------------

def test_anonymous_face_is_cached_and_follows_changes(client, world, monkeypatch):
    shop = world["shop"]
    code = shop.code
    statements = []

    def count(*args):
        statements.append(args[2])

    def queries(path):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return response, len(statements)

    first, n_first = queries(f"/s/{code}")
    second, n_second = queries(f"/s/{code}")
    assert first.data == second.data and n_first > 1 and n_second == 0  # fresh: no query
    assert "public" in second.headers["Cache-Control"] and "Cookie" in second.headers["Vary"]
    monkeypatch.setattr(scans.citizen_pages, "fresh", 0)
    third, n_third = queries(f"/s/{code}")
    assert third.data == first.data and n_third == 1  # revalidated with one indexed read
    monkeypatch.setattr(scans.citizen_pages, "fresh", 60)
    registry.update_shop(shop, {"sign_name": "改名后的小馆"})
    db.session.commit()
    assert "改名后的小馆" in client.get(f"/s/{code}").get_data(as_text=True)


def test_signed_in_and_flashed_pages_are_private(client, login_as, world):
    shop = world["shop"]
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "感谢您的评价")]
    r = client.get(f"/s/{shop.code}")
    assert "感谢您的评价" in r.get_data(as_text=True) and "no-store" in r.headers["Cache-Control"]
    assert "感谢您的评价" not in client.get(f"/s/{shop.code}").get_data(as_text=True)
    login_as(make_inspector())
    assert "no-store" in client.get(f"/s/{shop.code}").headers["Cache-Control"]


# -- scan statistics ----------------------------------------------------------------------------

def test_scans_are_counted_per_shop_day_and_face(client, login_as, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLUSH_HITS", 1)
    shop = world["shop"]
    for _ in range(3):
        client.get(f"/s/{shop.code}")
    client.get(f"/s/{forged_code(shop.code)}")  # not genuine: not counted
    login_as(make_inspector())
    client.get(f"/s/{shop.code}")
    rows = {(r.face, r.day): r.count for r in db.session.scalars(select(ScanCount))}
    assert rows == {("citizen", today()): 3, ("supervise", today()): 1}
    assert {c.name for c in ScanCount.__table__.columns} == {"shop_id", "day", "face", "count"}


def test_scan_counts_are_buffered_until_flushed(client, world):
    shop = world["shop"]
    client.get(f"/s/{shop.code}")
    client.get(f"/s/{shop.code}")
    assert db.session.scalar(select(ScanCount)) is None  # still in the buffer
    assert scans.flush_scans() == 2
    db.session.commit()
    client.get(f"/s/{shop.code}")
    scans.flush_scans()
    db.session.commit()
    assert db.session.scalar(select(ScanCount.count)) == 3


def test_scan_stats_on_the_profile_and_api(client, login_as, auth_header, world):
    shop = world["shop"]
    db.session.add(ScanCount(shop_id=shop.id, day=today() - timedelta(days=2), face="citizen", count=5))
    db.session.add(ScanCount(shop_id=shop.id, day=today() - timedelta(days=40), face="citizen", count=99))
    db.session.commit()
    client.get(f"/s/{shop.code}")  # buffered: the profile flushes this process's buffer
    inspector = make_inspector()
    r = client.get(f"/api/v1/shops/{shop.code}/scans", headers=auth_header(inspector))
    assert r.status_code == 200 and r.get_json()["totals"]["citizen"] == 5
    login_as(inspector)
    html = client.get(f"/admin/shops/{shop.code}/plate").get_data(as_text=True)
    assert "近 30 天扫码" in html and "<strong>6</strong>" in html
    merchant = make_merchant(shops=[shop])
    assert client.get(f"/api/v1/shops/{shop.code}/scans", headers=auth_header(merchant)).status_code == 403


def test_the_plate_page_keeps_the_buffered_scans_it_shows(client, login_as, world):
    shop = world["shop"]
    client.get(f"/s/{shop.code}")  # buffered
    login_as(make_inspector())
    assert client.get(f"/admin/shops/{shop.code}/plate").status_code == 200
    db.session.rollback()  # what the page flushed and did not commit would end here, with its session
    assert db.session.scalar(select(ScanCount.count)) == 1


def test_cached_citizen_face_is_never_served_to_a_signed_in_user(client, login_as, world):
    shop = world["shop"]
    for _ in range(2):  # the second one comes from the micro-cache
        assert served(client.get(f"/s/{shop.code}").get_data(as_text=True)) == "citizen"
    login_as(make_inspector())
    assert served(client.get(f"/s/{shop.code}").get_data(as_text=True)) == "supervise"
    client.set_cookie("lang", "en")
    assert served(client.get(f"/s/{shop.code}").get_data(as_text=True)) == "supervise"


def test_closing_a_shop_drops_its_cached_face(client, world):
    shop = world["shop"]
    assert "已注销" not in client.get(f"/s/{shop.code}").get_data(as_text=True)
    registry.close_shop(shop)
    db.session.commit()
    assert "已注销" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_a_failed_count_write_never_fails_the_page(client, world, app, monkeypatch):
    from sqlalchemy import text

    monkeypatch.setitem(app.config, "SCAN_FLUSH_HITS", 1)
    monkeypatch.setattr(scan_counts, "_write_counts",
                        lambda keys, pending: db.session.execute(text("UPDATE no_such_table SET x = 1")))
    shop = world["shop"]
    r = client.get(f"/s/{shop.code}")
    assert r.status_code == 200 and shop.sign_name in r.get_data(as_text=True)
    monkeypatch.undo()
    assert scans.flush_scans() == 1  # kept for the next flush
    db.session.commit()
    assert db.session.scalar(select(ScanCount.count)) == 1


def test_housekeeper_revalidates_cached_faces_in_one_query(client, world):
    shop, other = world["shop"], world["other"]
    codes_ = (shop.code, other.code)
    for code in codes_:
        client.get(f"/s/{code}")
    shop_id, other_id = shop.id, other.id
    # A change the registry hook does not see in this process (as in another worker):
    stamp = db.session.scalar(select(Shop.updated_at).where(Shop.id == shop_id)) + timedelta(seconds=1)
    db.session.execute(Shop.__table__.update().where(Shop.id == shop_id)
                       .values(sign_name="别的进程改的名", updated_at=stamp))
    db.session.commit()
    assert "别的进程改的名" not in client.get(f"/s/{codes_[0]}").get_data(as_text=True)  # still cached
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert scans.revalidate_cached() == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert "别的进程改的名" in client.get(f"/s/{codes_[0]}").get_data(as_text=True)
    assert other_id in scans.citizen_pages.cached_shop_ids()


def test_typed_code_lookup_redirects_to_the_scan_page(client, world):
    shop = world["shop"]
    assert "铭牌上的编号" in client.get("/s").get_data(as_text=True)
    r = client.get("/s", query_string={"code": codes.display(shop.code).lower()})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/s/{shop.code}")
    r = client.get("/s", query_string={"code": "abcd efgh k"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/s/ABCDEFGHK")
    page = client.get(r.headers["Location"])
    assert page.status_code == 404 and 'name="code"' in page.get_data(as_text=True)


def test_counts_of_a_shop_deleted_before_the_flush_are_dropped_not_retried_forever():
    from huishang.services.scan.faces import counts

    gone, kept = make_shop(), make_shop()
    counts.buffer.take()  # whatever earlier tests left
    counts.buffer.add(gone.id, "citizen")
    counts.buffer.add(kept.id, "citizen")
    db.session.delete(gone)
    db.session.commit()
    assert counts.flush_scans() == 1
    db.session.commit()
    assert counts.buffer.take() == {}
