"""Patrol inspections: the outcome rule, idempotent retries, who may inspect, the co-inspector,
photos, the result sheet, rectifications, the merchant's answer and self-checks."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import (
    AuditEvent,
    ChecklistTemplate,
    Inspection,
    Rectification,
    SelfCheck,
    Shop,
    today,
)
from huishang.schemas.inspections import (
    InspectionOwnerSchema,
    InspectionPublicSchema,
    InspectionStaffSchema,
)
from huishang.services import DomainError, inspections
from huishang.services import inspections as inspection_records
from huishang.services.catalog import checklists
from tests.factories import make_inspector, make_merchant, make_property, make_regulator, make_shop


def template(key="food.catering.inspection") -> ChecklistTemplate:
    return db.session.scalar(
        select(ChecklistTemplate).where(ChecklistTemplate.key == key, ChecklistTemplate.current.is_(True))
    )


def answers(tpl, fail_key=0, fail_general=0, na=0):
    """All items pass, except the first `fail_key` key items and `fail_general` general items
    fail, and the last `na` items are not applicable."""
    out = {item.id: "pass" for item in tpl.items}
    for item in [i for i in tpl.items if i.key][:fail_key]:
        out[item.id] = "fail"
    for item in [i for i in tpl.items if not i.key][:fail_general]:
        out[item.id] = "fail"
    for item in tpl.items[len(tpl.items) - na :] if na else []:
        out[item.id] = "na"
    return [{"item_id": k, "result": v, "note": "现场发现" if v == "fail" else ""} for k, v in out.items()]


def forget_api_user():
    """Tests hold one app context for the whole test, so `g` (where the API gate puts the bearer
    token's user) outlives a request; a real request starts with an empty `g`."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("api_user", None)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def team():
    shop = make_shop()
    return shop, make_inspector(), make_inspector()


def body(shop, co, tpl=None, client_id="client-0001", **kw):
    tpl = tpl or template()
    data = {
        "shop_code": shop.code,
        "template_id": tpl.id,
        "co_inspector": co.username,
        "answers": answers(tpl),
        "client_id": client_id,
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    "fail_key,fail_general,na,expected",
    [
        (0, 0, 0, "pass"),
        (0, 0, 5, "pass"),
        (0, 1, 0, "partial"),
        (0, 3, 2, "partial"),
        (1, 0, 0, "fail"),
        (1, 2, 0, "fail"),
    ],
)
def test_outcome_rule(client, auth_header, team, fail_key, fail_general, na, expected):
    shop, me, co = team
    tpl = template()
    data = body(shop, co, answers=answers(tpl, fail_key, fail_general, na))
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.status_code == 201, r.get_json()
    result = r.get_json()
    assert result["outcome"] == expected
    if expected == "pass":
        assert result["rectification_deadline"] is None and count(Rectification) == 0
    else:
        assert result["rectification_deadline"] == (today() + timedelta(days=7)).isoformat()
        assert count(Rectification) == 1
    shop = db.session.get(Shop, shop.id)
    assert shop.latest_outcome == expected and shop.latest_inspected_on == today()


def test_all_not_applicable_is_pass_and_deadline_editable(client, auth_header, team):
    shop, me, co = team
    tpl = template()
    data = body(shop, co, answers=[{"item_id": i.id, "result": "na"} for i in tpl.items])
    assert (
        client.post("/api/v1/inspections", json=data, headers=auth_header(me)).get_json()["outcome"] == "pass"
    )
    deadline = (today() + timedelta(days=15)).isoformat()
    data = body(
        shop,
        co,
        client_id="client-0002",
        answers=answers(tpl, fail_general=1),
        rectification_deadline=deadline,
    )
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.get_json()["rectification_deadline"] == deadline
    data = body(
        shop,
        co,
        client_id="client-0003",
        answers=answers(tpl, fail_general=1),
        rectification_deadline=today().isoformat(),
    )
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.status_code == 422 and "rectification_deadline" in r.get_json()["errors"]


def test_retry_with_same_client_id_returns_the_same_inspection(client, auth_header, team):
    shop, me, co = team
    data = body(shop, co, answers=answers(template(), fail_general=1))
    first = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    second = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert count(Inspection) == 1 and count(Rectification) == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "inspection.create")
        )
        == 1
    )


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda a: a[:-1], "answers"),  # an item left unanswered
        (lambda a: a + [{"item_id": 999999, "result": "pass"}], "answers"),  # unknown item
        (lambda a: a + [a[0]], "answers"),  # answered twice
    ],
)
def test_every_item_answered_exactly_once(client, auth_header, team, mutate, field):
    shop, me, co = team
    data = body(shop, co)
    data["answers"] = mutate(data["answers"])
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert count(Inspection) == 0


def test_bad_result_and_template_are_named(client, auth_header, team):
    shop, me, co = team
    data = body(shop, co)
    data["answers"][0]["result"] = "maybe"
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.status_code == 422 and "answers" in r.get_json()["errors"]
    self_check = template("food.catering.self_check")
    r = client.post("/api/v1/inspections", json=body(shop, co, tpl=self_check), headers=auth_header(me))
    assert r.status_code == 422 and "template_id" in r.get_json()["errors"]
    r = client.post(
        "/api/v1/inspections",
        json=body(shop, co, inspected_on=(today() + timedelta(days=1)).isoformat()),
        headers=auth_header(me),
    )
    assert r.status_code == 422 and "inspected_on" in r.get_json()["errors"]
    assert count(Inspection) == 0


def test_co_inspector_required_and_different(client, auth_header, team):
    shop, me, co = team
    data = body(shop, co)
    del data["co_inspector"]
    r = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    assert r.status_code == 422 and "co_inspector" in r.get_json()["errors"]
    for other in (me, make_inspector(streets=("华泾镇",)), make_merchant(shops=[shop])):
        r = client.post("/api/v1/inspections", json=body(shop, other), headers=auth_header(me))
        assert r.status_code == 422 and "co_inspector" in r.get_json()["errors"], other
    assert count(Inspection) == 0
    district_regulator = make_regulator()  # no street scope: the whole district
    r = client.post("/api/v1/inspections", json=body(shop, district_regulator), headers=auth_header(me))
    assert r.status_code == 201


def test_only_in_scope_staff_inspect(client, auth_header, team):
    shop, me, co = team
    outside = make_inspector(streets=("华泾镇",))
    r = client.post("/api/v1/inspections", json=body(shop, co), headers=auth_header(outside))
    assert r.status_code == 403
    for user in (make_merchant(shops=[shop]), make_property()):
        r = client.post("/api/v1/inspections", json=body(shop, co), headers=auth_header(user))
        assert r.status_code == 403
    assert client.post("/api/v1/inspections", json=body(shop, co)).status_code == 401
    assert count(Inspection) == 0
    r = client.post("/api/v1/inspections", json=body(shop, co), headers=auth_header(make_regulator()))
    assert r.status_code == 201


def test_merchant_never_reaches_the_inspection_page(client, login_as, team):
    shop, _, _ = team
    login_as(make_merchant(shops=[shop]))
    assert client.get(f"/admin/shops/{shop.code}/inspections/new").status_code == 403
    client.post("/logout")
    login_as(make_inspector(streets=("华泾镇",)))
    assert client.get(f"/admin/shops/{shop.code}/inspections/new").status_code == 403


def test_reinspection_pass_closes_rectification_of_same_topic(client, auth_header, team):
    shop, me, co = team
    tpl = template()
    r = client.post(
        "/api/v1/inspections",
        json=body(shop, co, answers=answers(tpl, fail_general=2)),
        headers=auth_header(me),
    )
    rect = db.session.scalar(select(Rectification))
    assert rect.is_open
    shop.cold_chain = True  # a cold-chain check: a special check, not a full inspection
    db.session.commit()
    special = checklists.applicable_templates(shop, "inspection")
    epi = next(a.template for a in special if a.template.topic == "cold_chain")
    r = client.post(
        "/api/v1/inspections", json=body(shop, co, tpl=epi, client_id="client-epi-1"), headers=auth_header(me)
    )
    assert r.status_code == 201
    db.session.refresh(rect)
    assert rect.is_open  # a cold-chain check does not close a food-safety rectification
    assert db.session.get(Shop, shop.id).latest_outcome == "partial"  # nor is it a full inspection
    r = client.post(
        "/api/v1/inspections", json=body(shop, co, client_id="client-0002"), headers=auth_header(me)
    )
    db.session.refresh(rect)
    assert not rect.is_open and rect.closed_by_inspection_id == r.get_json()["id"]
    assert db.session.get(Shop, shop.id).latest_outcome == "pass"


# -- the phone form --------------------------------------------------------------------------
def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x0110] = "Model-X"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def form_data(shop, co, tpl, fail_general=0, client_id="form-client-1"):
    data = {
        "template_id": str(tpl.id),
        "co_inspector": co.username,
        "client_id": client_id,
        "inspected_on": today().isoformat(),
        "note": "检查说明",
    }
    for a in answers(tpl, fail_general=fail_general):
        data[f"result-{a['item_id']}"] = a["result"]
        data[f"note-{a['item_id']}"] = a["note"]
    return data


def test_form_flow_with_photo_and_retry(client, login_as, app, team):
    shop, me, co = team
    login_as(me)
    page = client.get(f"/admin/shops/{shop.code}/inspections/new")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "餐饮服务食品安全日常监督检查表" in text and 'name="client_id"' in text and co.username in text
    tpl = template()
    data = form_data(shop, co, tpl, fail_general=1)
    data[f"photo-{tpl.items[0].id}"] = (io.BytesIO(jpeg_with_exif()), "scene.jpg")
    r = client.post(
        f"/admin/shops/{shop.code}/inspections/new", data=data, content_type="multipart/form-data"
    )
    assert r.status_code == 302
    inspection = db.session.scalar(select(Inspection))
    assert inspection.outcome == "partial" and inspection.inspector_id == me.id
    assert inspection.co_inspector_id == co.id and inspection.template_id == tpl.id
    answer = next(a for a in inspection.answers if a.item_id == tpl.items[0].id)
    (stored,) = answer.photo_list
    with Image.open(f"{app.config['UPLOAD_DIR']}/{stored}") as saved:
        assert not saved.getexif() and "exif" not in saved.info
    photo = client.get(f"/admin/inspections/{inspection.id}/photos/{answer.id}/0")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    photo.close()
    # the connection dropped and the phone sends it again
    again = client.post(
        f"/admin/shops/{shop.code}/inspections/new",
        data=form_data(shop, co, tpl, 1),
        content_type="multipart/form-data",
    )
    assert again.status_code == 302 and again.headers["Location"] == r.headers["Location"]
    assert count(Inspection) == 1
    detail = client.get(r.headers["Location"])
    assert detail.status_code == 200 and "data-clear-draft" in detail.get_data(as_text=True)


def test_non_image_photo_is_refused_and_nothing_written(client, login_as, team):
    shop, me, co = team
    login_as(me)
    tpl = template()
    data = form_data(shop, co, tpl)
    data[f"photo-{tpl.items[0].id}"] = (io.BytesIO(b"this is not an image at all"), "x.jpg")
    r = client.post(
        f"/admin/shops/{shop.code}/inspections/new", data=data, content_type="multipart/form-data"
    )
    assert r.status_code == 422 and "JPEG" in r.get_data(as_text=True)
    assert count(Inspection) == 0


def test_oversize_photo_is_refused_and_nothing_written(team):
    # through the service: a 5 MB request body in the test client leaves a temp file open
    shop, me, co = team
    tpl = template()
    sub = inspections.Submission(
        template_id=tpl.id,
        co_inspector=co.username,
        answers=answers(tpl),
        client_id="oversize-1",
        photos={tpl.items[0].id: [b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10)]},
    )
    with pytest.raises(DomainError) as err:
        inspections.record_inspection(shop, sub, actor=me)
    assert err.value.status == 413 and "photos" in err.value.errors
    db.session.rollback()
    assert count(Inspection) == 0


def test_form_errors_reshow_the_form_with_answers(client, login_as, team):
    shop, me, co = team
    login_as(me)
    tpl = template()
    data = form_data(shop, co, tpl)
    data["co_inspector"] = ""
    r = client.post(f"/admin/shops/{shop.code}/inspections/new", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "同行执法人员" in text
    assert f'name="result-{tpl.items[0].id}" value="pass" required checked' in text
    assert count(Inspection) == 0


def test_result_sheet_pdf(client, login_as, team):
    shop, me, co = team
    login_as(me)
    tpl = template()
    client.post(f"/admin/shops/{shop.code}/inspections/new", data=form_data(shop, co, tpl, fail_general=1))
    inspection = db.session.scalar(select(Inspection))
    r = client.get(f"/admin/inspections/{inspection.id}/sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    assert len(reader.pages) >= 1
    # A long name wraps inside its table cell: compare the text without the line breaks.
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in (
        "检查结果记录表",
        shop.sign_name,
        shop.code,
        "基本符合",
        tpl.items[0].text[:8],
        inspection.rectification.deadline.isoformat(),
    ):
        assert expected in text


def test_staff_out_of_scope_cannot_read_results(client, login_as, auth_header, team):
    shop, me, co = team
    r = client.post("/api/v1/inspections", json=body(shop, co), headers=auth_header(me))
    inspection_id = r.get_json()["id"]
    outside = make_inspector(streets=("华泾镇",))
    assert client.get(f"/api/v1/inspections/{inspection_id}", headers=auth_header(outside)).status_code == 403
    forget_api_user()
    login_as(outside)
    assert client.get(f"/admin/inspections/{inspection_id}").status_code == 403
    assert client.get(f"/admin/inspections/{inspection_id}/sheet.pdf").status_code == 403


# -- the merchant's side ---------------------------------------------------------------------
def test_audience_variants_hide_restricted_fields(client, auth_header, team):
    shop, me, co = team
    r = client.post(
        "/api/v1/inspections", json=body(shop, co, lat=31.19, lng=121.43), headers=auth_header(me)
    )
    inspection = db.session.get(Inspection, r.get_json()["id"])
    staff = InspectionStaffSchema().dump(inspection)
    owner = InspectionOwnerSchema().dump(inspection)
    public = InspectionPublicSchema().dump(inspection)
    assert staff["lat"] == 31.19 and staff["client_id"] == "client-0001"
    for field in ("client_id", "lat", "lng", "inspector_username", "co_inspector_username"):
        assert field not in owner
    for field in (
        "inspector",
        "co_inspector",
        "note",
        "ack_note",
        "answers",
        "client_id",
        "lat",
        "rectification",
    ):
        assert field not in public
    merchant = make_merchant(shops=[shop])
    seen = client.get(f"/api/v1/inspections/{inspection.id}", headers=auth_header(merchant)).get_json()
    assert seen["outcome"] == "pass" and "client_id" not in seen and "lat" not in seen
    other = make_merchant(shops=[make_shop()])
    assert client.get(f"/api/v1/inspections/{inspection.id}", headers=auth_header(other)).status_code == 403


def test_merchant_acknowledges_or_refuses(client, login_as, auth_header, team):
    shop, me, co = team
    r = client.post(
        "/api/v1/inspections",
        json=body(shop, co, answers=answers(template(), fail_general=1)),
        headers=auth_header(me),
    )
    inspection_id = r.get_json()["id"]
    merchant = make_merchant(shops=[shop])
    forget_api_user()
    login_as(merchant)
    page = client.get(f"/merchant/inspections/{inspection_id}")
    assert page.status_code == 200 and "基本符合" in page.get_data(as_text=True)
    assert client.get(f"/merchant/inspections/{inspection_id}/sheet.pdf").status_code == 200
    r = client.post(f"/merchant/inspections/{inspection_id}/ack", data={"decision": "refuse", "reason": " "})
    assert r.status_code == 422 and "拒签" in r.get_data(as_text=True)
    r = client.post(
        f"/merchant/inspections/{inspection_id}/ack",
        data={"decision": "refuse", "reason": "留样冰箱当天已修好，有维修单"},
    )
    assert r.status_code == 302
    inspection = db.session.get(Inspection, inspection_id)
    assert inspection.ack_status == "refused" and inspection.ack_note == "留样冰箱当天已修好，有维修单"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.ack")).actor_id
        == merchant.id
    )
    r = client.post(f"/merchant/inspections/{inspection_id}/ack", data={"decision": "accept"})
    assert r.status_code == 409
    client.post("/logout")
    login_as(make_merchant(shops=[make_shop()]))
    assert client.get(f"/merchant/inspections/{inspection_id}").status_code == 403
    assert (
        client.post(f"/merchant/inspections/{inspection_id}/ack", data={"decision": "accept"}).status_code
        == 403
    )


def test_merchant_reports_rectification_with_photo(client, login_as, auth_header, app, team):
    shop, me, co = team
    client.post(
        "/api/v1/inspections",
        json=body(shop, co, answers=answers(template(), fail_general=1)),
        headers=auth_header(me),
    )
    rect = db.session.scalar(select(Rectification))
    forget_api_user()
    login_as(make_merchant(shops=[shop]))
    assert client.get("/merchant/rectifications").status_code == 200
    r = client.post(f"/merchant/rectifications/{rect.id}/report", data={"note": "已整改"})
    assert r.status_code == 422 and "照片" in r.get_data(as_text=True)
    r = client.post(
        f"/merchant/rectifications/{rect.id}/report",
        content_type="multipart/form-data",
        data={"note": "已更换防蝇帘", "photo": (io.BytesIO(jpeg_with_exif()), "fixed.jpg")},
    )
    assert r.status_code == 302
    db.session.refresh(rect)
    assert rect.reported_done_on == today() and rect.report_note == "已更换防蝇帘" and rect.is_open
    with Image.open(f"{app.config['UPLOAD_DIR']}/{rect.report_photo}") as saved:
        assert not saved.getexif()
    client.post("/logout")
    login_as(me)
    photo = client.get(f"/admin/rectifications/{rect.id}/photo")
    assert photo.status_code == 200
    photo.close()


# -- self-checks ------------------------------------------------------------------------------
def test_merchant_self_check_api(client, auth_header):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    tpl = template("food.catering.self_check")
    data = {"template_id": tpl.id, "answers": answers(tpl, fail_key=1), "client_id": "self-check-1"}
    url = f"/api/v1/shops/{shop.code}/self-checks"
    r = client.post(url, json=data, headers=auth_header(merchant))
    assert r.status_code == 201 and r.get_json()["outcome"] == "fail"
    assert client.post(url, json=data, headers=auth_header(merchant)).status_code == 200
    assert count(SelfCheck) == 1
    assert (
        client.post(
            url, json=dict(data, client_id="self-check-2"), headers=auth_header(make_inspector())
        ).status_code
        == 403
    )
    assert (
        client.post(
            url,
            json=dict(data, client_id="self-check-3"),
            headers=auth_header(make_merchant(shops=[make_shop()])),
        ).status_code
        == 403
    )
    bad = client.post(
        url,
        json=dict(data, client_id="self-check-4", template_id=template().id),
        headers=auth_header(merchant),
    )
    assert bad.status_code == 422 and "template_id" in bad.get_json()["errors"]
    assert count(SelfCheck) == 1
    listed = client.get(url, headers=auth_header(make_inspector())).get_json()
    assert [c["outcome"] for c in listed] == ["fail"]
    assert db.session.get(Shop, shop.id).latest_outcome is None  # a self-check is no inspection


def test_self_check_page_and_overdue_list(client, login_as):
    old = make_shop(registered_on=(today() - timedelta(days=60)).isoformat())
    fresh = make_shop(registered_on=(today() - timedelta(days=5)).isoformat())
    elsewhere = make_shop(street="华泾镇", registered_on="2024-01-01")
    merchant = make_merchant(shops=[old])
    inspector = make_inspector()
    login_as(inspector)
    text = client.get("/admin/self-checks/overdue").get_data(as_text=True)
    assert old.code in text and fresh.code not in text and elsewhere.code not in text
    client.post("/logout")
    login_as(merchant)
    assert "自查" in client.get("/merchant/self-checks").get_data(as_text=True)
    tpl = template("food.catering.self_check")
    page = client.get(f"/merchant/shops/{old.code}/self-checks/new?template={tpl.id}")
    assert page.status_code == 200
    data = {"template_id": str(tpl.id), "client_id": "page-self-check-1"}
    for a in answers(tpl):
        data[f"result-{a['item_id']}"] = a["result"]
    r = client.post(f"/merchant/shops/{old.code}/self-checks/new", data=data)
    assert r.status_code == 302
    assert client.get(r.headers["Location"]).status_code == 200
    assert client.get(f"/merchant/shops/{elsewhere.code}/self-checks/new").status_code == 403
    client.post("/logout")
    login_as(inspector)
    assert old.code not in client.get("/admin/self-checks/overdue").get_data(as_text=True)


def test_partials_and_pages_render(client, login_as, auth_header, team):
    from flask import render_template_string

    shop, me, co = team
    client.post(
        "/api/v1/inspections",
        json=body(shop, co, answers=answers(template(), fail_general=1)),
        headers=auth_header(me),
    )
    forget_api_user()
    login_as(me)
    for url in ("/admin/inspections", f"/admin/shops/{shop.code}/inspections", "/admin/checklists"):
        assert client.get(url).status_code == 200, url
    profile = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    assert 'id="profile-inspections"' in profile and "基本符合" in profile
    scan = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert 'id="supervise-inspections"' in scan and "基本符合" in scan
    with client.application.test_request_context():
        from huishang.admin.inspections import inspection_summary

        html = render_template_string('{% include "admin/profile/_inspections.html" %}', shop=shop,
                                      inspections=inspection_summary(shop, me))
        assert "开始检查" in html and "未关闭的整改" in html and "基本符合" in html
        merchant = make_merchant(shops=[make_shop()])
        html = render_template_string(
            '{% include "admin/profile/_inspections.html" %}{% include "scan/_supervise_inspections.html" %}',
            shop=shop, inspections=inspection_summary(shop, merchant),
        )
        assert "基本符合" not in html and "未关闭的整改" not in html


def test_concurrent_retry_lands_on_the_first_inspection(team, monkeypatch):
    """Two copies of one submission racing: the unique client id decides, the loser gets the winner."""
    shop, me, co = team
    tpl = template()
    sub = inspections.Submission(
        template_id=tpl.id, co_inspector=co.username, answers=answers(tpl), client_id="race-client-1"
    )
    first, created = inspections.record_inspection(shop, sub, actor=me)
    db.session.commit()
    assert created
    real = inspections.find_by_client_id
    calls = []

    def not_yet_visible(client_id):  # the second request looked before the first committed
        calls.append(client_id)
        return None if len(calls) == 1 else real(client_id)

    monkeypatch.setattr(inspection_records, "find_by_client_id", not_yet_visible)
    second, created = inspections.record_inspection(shop, sub, actor=me)
    db.session.commit()
    assert not created and second.id == first.id
    assert count(Inspection) == 1


def test_self_check_interval_is_configurable(app, client, login_as):
    shop = make_shop(registered_on=(today() - timedelta(days=10)).isoformat())
    login_as(make_inspector())
    assert shop.code not in client.get("/admin/self-checks/overdue").get_data(as_text=True)
    app.config["SELF_CHECK_INTERVAL_DAYS"] = 7
    try:
        assert shop.code in client.get("/admin/self-checks/overdue").get_data(as_text=True)
        assert inspections.self_check_due_on(shop) == today() - timedelta(days=3)
    finally:
        app.config["SELF_CHECK_INTERVAL_DAYS"] = 30


def test_closed_shop_cannot_be_inspected(client, auth_header, team):
    from huishang.services import registry

    shop, me, co = team
    registry.close_shop(shop, reason="歇业")
    db.session.commit()
    r = client.post("/api/v1/inspections", json=body(shop, co), headers=auth_header(me))
    assert r.status_code == 409 and "shop_code" in r.get_json()["errors"]
    assert count(Inspection) == 0
