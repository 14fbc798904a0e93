"""Complaints from citizens: filing (API and form), tracking with the key, me-too, the workflow
table (every action from every status), working-day limits, reopen and satisfaction, escalation,
and the absence of complainant data wherever it must not appear."""

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import CalendarDay, Complaint, ComplaintEvent, ComplaintPhoto, Shop
from huishang.models import today as district_today
from huishang.models.feedback import CLOSED_STATUSES, STATUS_LABELS
from huishang.services import Conflict, DomainError, Forbidden
from huishang.services.feedback import complaints
from huishang.signals import shop_changed
from tests.factories import make_complaint, make_merchant, make_regulator, make_shop

TICKET = re.compile(r"^TS\d{8}-\d{6}$")
COMPLAINANT_FIELDS = ("phone", "client_hash", "ip_hash", "tracking_key", "tracking_key_hash")
FRIDAY = date(2026, 11, 27)


def jpeg(exif: bool = False, size=(40, 30)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x8825] = {1: "N", 2: (31.0, 11.0, 30.0)}  # GPS
        image.save(out, "JPEG", exif=data)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client spools big bodies to a temporary file
    it never closes, which pytest reports as a resource warning)."""
    boundary = "----huishangtest"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def file_complaint(client, code, **fields):
    body = {"category": "food_safety", "description": "吃完拉肚子，怀疑食材变质"}
    body.update(fields)
    return client.post(f"/api/v1/public/shops/{code}/complaints", json=body)


def count(model=Complaint):
    return db.session.scalar(select(func.count()).select_from(model))


# -- filing ---------------------------------------------------------------------------------------


def test_file_by_api_returns_ticket_key_and_link(client):
    shop = make_shop()
    r = file_complaint(client, shop.code, phone="13812345678", kind="report")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert TICKET.match(body["ticket"])
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", body["code"])
    assert re.fullmatch(r"\d{6}", body["key"]) and body["tracking_key"] == body["key"]
    # The key is never put into a link (browser history, logs): the page asks for it.
    assert body["tracking_url"] == f"https://hs.example.gov.cn/complaints/track?ticket={body['code']}"
    complaint = db.session.scalar(select(Complaint))
    assert body["key"] not in complaint.pin_hash and body["key"] not in complaint.tracking_key_hash
    assert complaint.kind == "report" and complaint.status == "submitted"
    assert [(e.action, e.from_status, e.to_status) for e in complaint.events] == [
        ("submit", None, "submitted")
    ]
    for name in ("phone", "client_hash", "ip_hash"):
        assert name not in body


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"category": "weather"}, "category"),
        ({"kind": "praise"}, "kind"),
        ({"description": "差"}, "description"),
        ({"description": "长" * 1001}, "description"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_complaint_is_422_naming_the_field_and_stores_nothing(client, fields, field):
    shop = make_shop()
    r = file_complaint(client, shop.code, **fields)
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert count() == 0


def test_unknown_code_and_non_object_body(client):
    assert file_complaint(client, "ABCDEFGHJ").status_code == 404
    shop = make_shop()
    r = client.post(
        f"/api/v1/public/shops/{shop.code}/complaints", data="[1]", content_type="application/json"
    )
    assert r.status_code == 400 and r.get_json()["code"] == 400


def test_photos_are_validated_and_stripped_of_exif(client, app):
    shop = make_shop()
    data = {
        "category": "hygiene",
        "description": "后厨有老鼠",
        "photos": [(io.BytesIO(jpeg(exif=True)), "a.jpg")],
    }
    r = client.post(
        f"/api/v1/public/shops/{shop.code}/complaints", data=data, content_type="multipart/form-data"
    )
    assert r.status_code == 201, r.get_json()
    photo = db.session.scalar(select(ComplaintPhoto))
    with Image.open(f"{app.config['UPLOAD_DIR']}/{photo.path}") as stored:
        assert not stored.getexif()
    # Too many, wrong type, oversized: 4xx and nothing stored.
    before = count()
    four = [(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(4)]
    r = client.post(
        f"/api/v1/public/shops/{shop.code}/complaints",
        content_type="multipart/form-data",
        data={"category": "hygiene", "description": "后厨有老鼠", "photos": four},
    )
    assert r.status_code == 422 and "photos" in r.get_json()["errors"]
    r = client.post(
        f"/api/v1/public/shops/{shop.code}/complaints",
        content_type="multipart/form-data",
        data={
            "category": "hygiene",
            "description": "后厨有老鼠",
            "photos": [(io.BytesIO(b"<svg onload=alert(1)>"), "x.jpg")],
        },
    )
    assert r.status_code == 422 and "photos" in r.get_json()["errors"]
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)
    body, content_type = multipart({"category": "hygiene", "description": "后厨有老鼠"}, big)
    r = client.post(f"/api/v1/public/shops/{shop.code}/complaints", data=body, content_type=content_type)
    assert r.status_code == 413 and "photos" in r.get_json()["errors"]
    assert count() == before and count(ComplaintPhoto) == 1


# -- tracking and privacy ---------------------------------------------------------------------------


def test_citizen_writes_are_audited_without_the_raw_ip(client, app):
    from huishang.models import AuditEvent

    shop = make_shop()
    body = file_complaint(client, shop.code).get_json()
    client.post(f"/api/v1/public/shops/{shop.code}/reviews", json={"stars": 5})
    neighbour = app.test_client()
    assert neighbour.post(f"/api/v1/public/complaints/{body['ticket']}/me-too").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("complaint.submit", "review.submit", "complaint.me_too")))).all()
    assert len(events) == 3 and all(e.ip is None for e in events)


def test_tracking_needs_the_key_and_a_wrong_key_looks_like_no_ticket(client, app):
    shop = make_shop()
    body = file_complaint(client, shop.code, phone="13812345678", name="李女士").get_json()
    ticket, key = body["ticket"], body["tracking_key"]
    other = app.test_client()
    r = other.get(f"/api/v1/public/complaints/{ticket}?key={key}")
    assert r.status_code == 200
    own = r.get_json()
    assert own["ticket"] == ticket and own["phone"] == "138****5678"
    for name in ("client_hash", "ip_hash", "assignee", "tracking_key_hash", "id"):
        assert name not in own
    wrong = other.get(f"/api/v1/public/complaints/{ticket}?key=guess")
    missing = other.get(f"/api/v1/public/complaints/TS20260101-999999?key={key}")
    assert wrong.status_code == missing.status_code == 404
    assert wrong.get_json()["message"] == missing.get_json()["message"]
    assert other.get(f"/complaints/{ticket}?key=guess").status_code == 404
    page = other.get(f"/complaints/{ticket}?key={key}")
    assert page.status_code == 200 and "13812345678" not in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_internal_events_and_staff_names_stay_off_the_tracking_page(client):
    shop = make_shop()
    complaint = make_complaint(shop)
    handler = make_regulator(username="wang_handler")
    complaints.assign(complaint, handler, actor=handler)
    complaints.transition(complaint, "accept", role="regulator", actor=handler, note="已受理")
    db.session.commit()
    data = client.get(f"/api/v1/public/complaints/{complaint.ticket}?key={complaint.tracking_key}").get_json()
    assert [e["action"] for e in data["events"]] == ["submit", "accept"]
    assert "wang_handler" not in str(data)
    html = client.get(f"/complaints/{complaint.ticket}?key={complaint.tracking_key}").get_data(as_text=True)
    assert "wang_handler" not in html and "指派" not in html


def test_markup_in_a_complaint_is_shown_escaped(client):
    shop = make_shop()
    payload = "<script>alert(1)</script>变质"
    body = file_complaint(client, shop.code, description=payload).get_json()
    assert db.session.scalar(select(Complaint.description)) == payload
    html = client.get(f"/complaints/{body['ticket']}?key={body['tracking_key']}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = client.get(f"/s/{shop.code}/complain?category=food_safety").get_data(as_text=True)
    assert "<script>alert(1)" not in html


# -- the form (no JavaScript) -----------------------------------------------------------------------


def test_form_flow_categories_suggestions_then_ticket(client, app):
    shop = make_shop()
    page = client.get(f"/s/{shop.code}/complain").get_data(as_text=True)
    assert "category=food_safety" in page and "category=price" in page
    page = client.get(f"/s/{shop.code}/complain?category=price")
    assert page.status_code == 200 and 'name="description"' in page.get_data(as_text=True)
    r = client.post(f"/s/{shop.code}/complain", data={"category": "price", "description": "短"})
    assert r.status_code == 422 and "至少5个字" in r.get_data(as_text=True)
    assert "请选择 投诉（要求解决）或 举报（要求查处）" in r.get_data(as_text=True)  # the form always asks
    r = client.post(
        f"/s/{shop.code}/complain",
        content_type="multipart/form-data",
        data={
            "category": "price",
            "kind": "complaint",
            "description": "标价18元结账收28元",
            "phone": "",
            "photos": [(io.BytesIO(jpeg()), "receipt.jpg")],
        },
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "投诉须留姓名" in body and "投诉须留联系电话" in body and "第九条" in body
    r = client.post(
        f"/s/{shop.code}/complain",
        content_type="multipart/form-data",
        data={
            "category": "price",
            "kind": "report",
            "description": "标价18元结账收28元",
            "phone": "",
            "photos": [(io.BytesIO(jpeg()), "receipt.jpg")],
        },
    )
    assert r.status_code == 302
    location = r.headers["Location"]
    complaint = db.session.scalar(select(Complaint))
    assert complaint.kind == "report" and complaint.name is None and complaint.phone is None
    assert f"/complaints/{complaint.short_code}" in location and "key=" not in location and "new=1" in location
    page = client.get(location).get_data(as_text=True)
    assert complaint.short_code in page and "查询码只显示这一次" in page and "保存为图片" in page
    key = re.search(r'id="fb-key">(\d{6})<', page).group(1)
    # Shown once: the same address later shows no key.
    assert key not in client.get(location).get_data(as_text=True)
    with client.get(f"/complaints/{complaint.short_code}/photos/1") as photo:  # this browser filed it
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    stranger = app.test_client()
    assert stranger.get(f"/complaints/{complaint.short_code}/photos/1?key=nope").status_code == 404
    with stranger.get(f"/complaints/{complaint.short_code.lower()}/photos/1?key={key}") as photo:
        assert photo.status_code == 200
    # Someone else scanning now sees it as an open complaint of the same category.
    page = app.test_client().get(f"/s/{shop.code}/complain?category=price").get_data(as_text=True)
    assert "标价18元结账收28元" in page and "我也遇到了" in page
    assert "receipt" not in page


def test_track_lookup_redirects_to_the_tracking_page(client):
    """Old links with ?ticket=&key= still lead to the tracking page."""
    assert client.get("/complaints/track").status_code == 200
    r = client.get("/complaints/track?ticket=ts20261127-000001&key=abc")
    assert r.status_code == 302 and "/complaints/TS20261127-000001?key=abc" in r.headers["Location"]


# -- suggestions and me-too ------------------------------------------------------------------------


def test_suggestions_show_open_same_category_without_personal_data(client):
    shop = make_shop()
    open_one = make_complaint(
        shop, category="price", description="多收钱，我电话13912345678", phone="13912345678"
    )
    make_complaint(shop, category="price", status="resolved", closed_on=FRIDAY)
    make_complaint(shop, category="hygiene")
    make_complaint(make_shop(), category="price")
    r = client.get(f"/api/v1/public/shops/{shop.code}/complaints?category=price")
    items = r.get_json()
    assert [i["ticket"] for i in items] == [open_one.ticket]
    assert "13912345678" not in str(items) and "***" in items[0]["excerpt"]
    assert set(items[0]) == {
        "ticket",
        "category",
        "category_label",
        "status",
        "status_label",
        "submitted_on",
        "excerpt",
        "supporters",
    }
    assert client.get(f"/api/v1/public/shops/{shop.code}/complaints?category=bogus").status_code == 422


def test_me_too_counts_once_per_client(client, app):
    shop = make_shop()
    complaint = make_complaint(shop)
    url = f"/api/v1/public/complaints/{complaint.ticket}/me-too"
    r = client.post(url)
    assert r.status_code == 200 and r.get_json()["supporters"] == 1
    assert client.post(url).status_code == 409
    assert app.test_client().post(url, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    db.session.refresh(complaint)
    assert complaint.supporters == 2
    complaint.status, complaint.closed_on = "resolved", FRIDAY
    db.session.commit()
    assert app.test_client().post(url).status_code == 404
    # The form button does the same and comes back to the suggestions.
    fresh = make_complaint(shop, category="price")
    r = app.test_client().post(f"/complaints/{fresh.ticket}/me-too")
    assert r.status_code == 302 and "category=price" in r.headers["Location"]


def test_complainant_cannot_me_too_their_own_complaint():
    shop = make_shop()
    complaint = make_complaint(shop, client_hash="same-client")
    with pytest.raises(Conflict):
        complaints.me_too(complaint, client_hash="same-client")


# -- the workflow table -----------------------------------------------------------------------------

ALL_STATUSES = tuple(STATUS_LABELS)
ROLES = {"regulator": "regulator", "merchant": "merchant", "citizen": "citizen"}


def _args(action, complaint):
    kw = {"note": "处理说明"}
    if action in ("resolve", "close_unresolved"):
        kw["substantiated"] = False
    if action == "duplicate":
        kw["duplicate_of"] = make_complaint(complaint.shop).ticket
    return kw


@pytest.mark.parametrize("action", list(complaints.TRANSITIONS))
def test_every_action_from_every_status(action):
    """From each of the ten statuses: a legal move goes to the table's target and writes an event
    with its actor; every other move is a 409 naming the status and changes nothing."""
    shop = make_shop()
    step = complaints.TRANSITIONS[action]
    actor = {"merchant": make_merchant(shops=[shop]), "regulator": make_regulator()}.get(step.role)
    for status in ALL_STATUSES:
        closed_on = district_today() if status in CLOSED_STATUSES else None
        complaint = make_complaint(shop, status=status, closed_on=closed_on)
        events = len(complaint.events)
        if status in step.sources:
            complaints.transition(complaint, action, role=step.role, actor=actor, **_args(action, complaint))
            db.session.commit()
            assert complaint.status == step.target, status
            event = complaint.events[-1]
            assert (event.action, event.from_status, event.to_status) == (action, status, step.target)
            assert event.actor_id == getattr(actor, "id", None) and event.at is not None
            assert len(complaint.events) == events + 1
        else:
            args = _args(action, complaint)
            with pytest.raises(Conflict) as info:
                complaints.transition(complaint, action, role=step.role, actor=actor, **args)
            assert info.value.status == 409 and STATUS_LABELS[status] in info.value.message
            db.session.rollback()
            assert db.session.get(Complaint, complaint.id).status == status
            assert len(db.session.get(Complaint, complaint.id).events) == events


@pytest.mark.parametrize(
    "action,wrong_role",
    [("accept", "merchant"), ("answer", "regulator"), ("reopen", "regulator"), ("resolve", "citizen")],
)
def test_actions_belong_to_one_role(action, wrong_role):
    complaint = make_complaint(make_shop())
    with pytest.raises(Forbidden):
        complaints.transition(complaint, action, role=wrong_role, note="x", substantiated=False)


def test_required_fields_of_transitions():
    shop = make_shop()
    complaint = make_complaint(shop)
    with pytest.raises(DomainError) as info:
        complaints.transition(complaint, "reject", role="regulator", note="  ")
    assert "note" in info.value.errors
    complaints.transition(complaint, "accept", role="regulator")
    with pytest.raises(DomainError) as info:
        complaints.transition(complaint, "resolve", role="regulator", note="已退款")
    assert "substantiated" in info.value.errors
    with pytest.raises(DomainError) as info:
        complaints.transition(
            complaint, "duplicate", role="regulator", note="重复", duplicate_of=complaint.ticket
        )
    assert "duplicate_of" in info.value.errors
    with pytest.raises(DomainError):
        complaints.transition(complaint, "teleport", role="regulator")


def test_reports_are_not_forwarded_to_the_merchant():
    complaint = make_complaint(make_shop(), kind="report", status="accepted")
    assert "forward" not in complaints.allowed_actions(complaint, "regulator")
    with pytest.raises(Conflict):
        complaints.transition(complaint, "forward", role="regulator", note="请答复")


# -- working days ----------------------------------------------------------------------------------


def test_decision_due_in_two_working_days_across_the_weekend():
    complaint = make_complaint(make_shop(), on=FRIDAY)
    assert complaint.due_on == date(2026, 12, 1)  # Fri → Mon, Tue
    assert complaint.legal_due_on == date(2026, 12, 8)  # seven working days


def test_holidays_and_make_up_days_move_the_limits():
    db.session.add_all(
        [
            CalendarDay(day=date(2026, 11, 30), is_workday=False, name="假日"),
            CalendarDay(day=date(2026, 11, 28), is_workday=True, name="调休"),
        ]
    )
    db.session.commit()
    complaint = make_complaint(make_shop(), on=FRIDAY)
    assert complaint.due_on == date(2026, 12, 1)  # Sat (调休) counts, Mon is off, Tue
    db.session.delete(db.session.get(CalendarDay, date(2026, 11, 28)))
    db.session.commit()
    assert make_complaint(make_shop(), on=FRIDAY).due_on == date(2026, 12, 2)  # Tue, Wed


def test_merchant_answer_limit_is_three_working_days():
    shop = make_shop()
    complaint = make_complaint(shop, status="accepted")
    thursday = date(2026, 11, 26)
    complaints.transition(complaint, "forward", role="regulator", note="请答复", on=thursday)
    assert complaint.forwarded_on == thursday and complaint.merchant_due_on == date(
        2026, 12, 1
    )  # Fri Mon Tue
    assert complaint.due_on == complaint.merchant_due_on


# -- escalation ------------------------------------------------------------------------------------


def test_unanswered_forward_escalates_and_flags_the_shop_until_answered():
    shop = make_shop()
    complaint = make_complaint(shop, status="accepted")
    complaints.transition(complaint, "forward", role="regulator", note="请答复", on=FRIDAY)
    db.session.commit()
    due = complaint.merchant_due_on  # Wednesday 2 December
    assert complaints.sweep_overdue(due) == 0  # answering on the due day is in time
    assert complaints.sweep_overdue(due + timedelta(days=1)) == 1
    db.session.commit()
    assert complaint.escalated and db.session.get(Shop, shop.id).unresponsive
    assert complaint.events[-1].action == "escalate" and complaint.events[-1].public is False
    assert complaints.sweep_overdue(due + timedelta(days=2)) == 0  # idempotent
    merchant = make_merchant(shops=[shop])
    complaints.transition(
        complaint,
        "answer",
        role="merchant",
        actor=merchant,
        note="已联系顾客退款",
        on=due + timedelta(days=2),
    )
    db.session.commit()
    assert complaint.status == "answered" and complaint.merchant_answer == "已联系顾客退款"
    assert not db.session.get(Shop, shop.id).unresponsive


def test_sweep_in_batches():
    shop = make_shop()
    for _ in range(3):
        complaint = make_complaint(shop, status="accepted")
        complaints.transition(complaint, "forward", role="regulator", note="请答复", on=FRIDAY)
    db.session.commit()
    later = FRIDAY + timedelta(days=30)
    assert complaints.sweep_overdue(later, limit=2) == 2
    assert complaints.sweep_overdue(later, limit=2) == 1
    assert complaints.sweep_overdue(later) == 0


def test_sweep_command(runner):
    shop = make_shop()
    complaint = make_complaint(shop, status="accepted")
    complaints.transition(complaint, "forward", role="regulator", note="请答复", on=FRIDAY)
    db.session.commit()
    result = runner.invoke(args=["complaints", "sweep", "--on", "2026-12-10"])
    assert result.exit_code == 0 and "escalated 1" in result.output
    assert runner.invoke(args=["complaints", "sweep", "--on", "not-a-date"]).exit_code != 0


# -- closing, substantiation, reopen, satisfaction ---------------------------------------------------


def test_substantiated_food_safety_complaint_reaches_the_grading_hook():
    seen = []
    with shop_changed.connected_to(seen.append):
        shop = make_shop()
        complaint = make_complaint(shop, status="accepted")
        complaints.transition(
            complaint, "resolve", role="regulator", note="核实属实，已责令整改", substantiated=True, on=FRIDAY
        )
        assert complaint.substantiated and complaint.substantiated_on == FRIDAY
        assert seen and seen[-1].id == shop.id
        seen.clear()
        other = make_complaint(shop, status="accepted")
        complaints.transition(
            other, "close_unresolved", role="regulator", note="无法核实", substantiated=False
        )
        assert not other.substantiated and other.substantiated_on is None and seen == []


def _closed(days_ago: int):
    complaint = make_complaint(make_shop(), status="accepted")
    closed_on = district_today() - timedelta(days=days_ago)
    complaints.transition(
        complaint, "resolve", role="regulator", note="已退款", substantiated=False, on=closed_on
    )
    db.session.commit()
    return complaint


def test_reopen_within_fifteen_days_with_the_key(client):
    complaint = _closed(15)
    url = f"/api/v1/public/complaints/{complaint.ticket}/reopen"
    assert client.post(url, json={"key": "wrong", "note": "没解决"}).status_code == 404
    r = client.post(url, json={"key": complaint.tracking_key, "note": "退款没到账"})
    assert r.status_code == 200 and r.get_json()["status"] == "reopened"
    db.session.refresh(complaint)
    assert complaint.reopen_count == 1 and complaint.due_on is not None
    assert complaint.events[-1].actor_role == "citizen" and complaint.events[-1].note == "退款没到账"


def test_reopen_after_fifteen_days_is_refused(client):
    complaint = _closed(16)
    r = client.post(
        f"/api/v1/public/complaints/{complaint.ticket}/reopen",
        json={"key": complaint.tracking_key, "note": "还是不行"},
    )
    assert r.status_code == 409 and "15" in r.get_json()["message"]
    assert db.session.get(Complaint, complaint.id).status == "resolved"
    page = client.get(f"/complaints/{complaint.ticket}?key={complaint.tracking_key}").get_data(as_text=True)
    assert "重新打开</button>" not in page


def test_satisfaction_once_per_closing_and_again_after_reopen(client):
    complaint = _closed(1)
    url = f"/api/v1/public/complaints/{complaint.ticket}/satisfaction"
    assert client.post(url, json={"key": complaint.tracking_key, "satisfaction": 6}).status_code == 422
    r = client.post(url, json={"key": complaint.tracking_key, "satisfaction": 2, "note": "太慢"})
    assert r.status_code == 200 and r.get_json()["satisfaction"] == 2
    assert client.post(url, json={"key": complaint.tracking_key, "satisfaction": 5}).status_code == 409
    # The form does the same.
    form = client.post(
        f"/complaints/{complaint.ticket}/rate", data={"key": complaint.tracking_key, "satisfaction": "4"}
    )
    assert form.status_code == 409
    r = client.post(
        f"/complaints/{complaint.ticket}/reopen", data={"key": complaint.tracking_key, "note": "再查"}
    )
    assert r.status_code == 302
    assert (
        client.post(url, json={"key": complaint.tracking_key, "satisfaction": 3}).status_code == 409
    )  # open now
    complaints.transition(
        db.session.get(Complaint, complaint.id),
        "resolve",
        role="regulator",
        note="已解决",
        substantiated=False,
    )
    db.session.commit()
    assert client.post(url, json={"key": complaint.tracking_key, "satisfaction": 5}).status_code == 200


def test_events_are_kept_for_every_step():
    shop = make_shop()
    complaint = make_complaint(shop)
    regulator, merchant = make_regulator(), make_merchant(shops=[shop])
    complaints.transition(complaint, "accept", role="regulator", actor=regulator)
    complaints.transition(complaint, "forward", role="regulator", actor=regulator, note="请三日内答复")
    complaints.transition(complaint, "answer", role="merchant", actor=merchant, note="已道歉退款")
    complaints.transition(complaint, "forward", role="regulator", actor=regulator, note="答复不充分")
    complaints.transition(complaint, "answer", role="merchant", actor=merchant, note="已更换食材供应商")
    complaints.transition(
        complaint, "resolve", role="regulator", actor=regulator, note="已解决", substantiated=True
    )
    complaints.transition(complaint, "reopen", role="citizen", note="又出现了")
    complaints.transition(
        complaint, "not_our_jurisdiction", role="regulator", actor=regulator, note="移交卫健委"
    )
    db.session.commit()
    rows = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).all()
    assert [(e.from_status, e.to_status) for e in rows] == [
        (None, "submitted"),
        ("submitted", "accepted"),
        ("accepted", "forwarded"),
        ("forwarded", "answered"),
        ("answered", "forwarded"),
        ("forwarded", "answered"),
        ("answered", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "not_our_jurisdiction"),
    ]
    assert not complaint.substantiated  # a closing that is not "resolved/closed" clears it
