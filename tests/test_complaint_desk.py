"""The regulators' complaint desk and the merchant's side: scope, filters, assignment and the
phone rule, transitions as buttons, reply templates, the calendar page, export, the staff and
merchant API — and what a merchant must never see."""

import csv
import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import event, func, select

from huishang.extensions import db
from huishang.models import AuditEvent, CalendarDay, Complaint, ComplaintEvent, ReplyTemplate, Shop, today
from huishang.services.feedback import complaints

from .factories import make_complaint, make_inspector, make_merchant, make_regulator, make_shop

PHONE = "13812341234"
MASKED = "138****1234"


def setup_two_streets():
    near = make_shop(street="徐家汇街道", sign_name="近处面馆")
    far = make_shop(street="华泾镇", sign_name="远处饭店")
    near_c = make_complaint(near, phone=PHONE, description="面里有虫子")
    far_c = make_complaint(far, description="远处的投诉")
    return near, far, near_c, far_c


def test_desk_is_scoped_to_the_regulators_streets(client, login_as, auth_header):
    near, far, near_c, far_c = setup_two_streets()
    regulator = make_regulator(streets=("徐家汇街道",))
    login_as(regulator)
    html = client.get("/admin/complaints").get_data(as_text=True)
    assert near_c.ticket in html and far_c.ticket not in html
    assert client.get(f"/admin/complaints/{far_c.ticket}").status_code == 403
    assert client.get("/admin/complaints/TS20000101-000001").status_code == 404
    h = auth_header(regulator)
    items = client.get("/api/v1/complaints", headers=h).get_json()["items"]
    assert [i["ticket"] for i in items] == [near_c.ticket]
    assert client.get(f"/api/v1/complaints/{far_c.ticket}", headers=h).status_code == 403
    district = make_regulator()
    assert client.get("/api/v1/complaints", headers=auth_header(district)).get_json()["total"] == 2


def test_desk_refuses_other_roles(client, login_as, auth_header):
    shop = make_shop()
    complaint = make_complaint(shop)
    inspector = make_inspector()
    login_as(inspector)
    assert client.get("/admin/complaints").status_code == 403
    assert client.get(f"/admin/complaints/{complaint.ticket}").status_code == 403
    assert client.get("/admin/calendar").status_code == 403
    assert client.get("/api/v1/complaints", headers=auth_header(inspector)).status_code == 403
    assert client.get("/api/v1/complaints").status_code == 401
    client.post("/logout")
    assert client.get("/admin/complaints").status_code == 302  # to the login page


def test_filters_by_status_due_and_street(client, login_as, auth_header):
    shop = make_shop()
    on = today()
    due_today = make_complaint(shop, due_on=on)
    overdue = make_complaint(shop, due_on=on - timedelta(days=3))
    later = make_complaint(shop, due_on=on + timedelta(days=5), category="price")
    closed = make_complaint(shop, status="resolved", closed_on=on, due_on=None)
    h = auth_header(make_regulator())

    def tickets(query):
        r = client.get(f"/api/v1/complaints?{query}", headers=h)
        assert r.status_code == 200, r.get_json()
        return {i["ticket"] for i in r.get_json()["items"]}

    assert tickets("due=today") == {due_today.ticket}
    assert tickets("due=overdue") == {overdue.ticket}
    assert tickets("status=open") == {due_today.ticket, overdue.ticket, later.ticket}
    assert tickets("status=resolved") == {closed.ticket}
    assert tickets("category=price") == {later.ticket}
    assert tickets("street=华泾镇") == set()
    assert client.get("/api/v1/complaints?street=月球", headers=h).status_code == 400
    assert client.get("/api/v1/complaints?due=someday", headers=h).status_code == 422
    regulator = make_regulator()
    complaints.assign(later, regulator, actor=regulator)
    db.session.commit()
    expected = {"open": 3, "today": 1, "overdue": 1, "escalated": 0, "mine": 1}
    assert complaints.desk_counts(regulator) == expected
    assert complaints.desk_counts(make_regulator(streets=("华泾镇",)))["open"] == 0
    login_as(regulator)
    page = client.get("/admin/complaints?due=overdue")
    assert page.status_code == 200 and overdue.ticket in page.get_data(as_text=True)
    assert due_today.ticket not in page.get_data(as_text=True)
    assert client.get("/admin/complaints?street=月球").status_code == 400


def test_phone_in_full_only_for_the_assigned_handler(client, login_as, auth_header):
    near, _, complaint, _ = setup_two_streets()
    handler = make_regulator(streets=("徐家汇街道",))
    colleague = make_regulator(streets=("徐家汇街道",))
    outsider = make_regulator(streets=("华泾镇",))
    login_as(colleague)
    r = client.post(f"/admin/complaints/{complaint.ticket}/assign", data={"handler": outsider.username})
    assert r.status_code == 422  # a handler must cover the shop's street
    r = client.post(f"/admin/complaints/{complaint.ticket}/assign", data={"handler": handler.username})
    assert r.status_code == 302
    html = client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    assert MASKED in html and PHONE not in html
    assert (
        client.get(f"/api/v1/complaints/{complaint.ticket}", headers=auth_header(colleague)).get_json()[
            "phone"
        ]
        == MASKED
    )
    client.post("/logout")
    login_as(handler)
    assert PHONE in client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    data = client.get(f"/api/v1/complaints/{complaint.ticket}", headers=auth_header(handler)).get_json()
    assert data["phone"] == PHONE and data["assignee"] == handler.username
    for name in ("client_hash", "ip_hash", "tracking_key_hash"):
        assert name not in data
    assign = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "complaint.assign"))
    assert assign.actor_id == colleague.id


def test_transitions_as_buttons_through_the_whole_loop(client, login_as):
    shop = make_shop()
    complaint = make_complaint(shop, category="food_safety")
    regulator = make_regulator()
    merchant = make_merchant(shops=[shop])
    login_as(regulator)
    page = client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    assert 'value="accept"' in page and 'value="reject"' in page and 'value="answer"' not in page
    r = client.post(
        f"/admin/complaints/{complaint.ticket}/transition", data={"action": "forward", "note": "x"}
    )
    assert r.status_code == 409 and "不能执行" in r.get_data(as_text=True)
    assert (
        client.post(f"/admin/complaints/{complaint.ticket}/transition", data={"action": "accept"}).status_code
        == 302
    )
    assert (
        client.post(
            f"/admin/complaints/{complaint.ticket}/transition",
            data={"action": "forward", "note": "请核实食材来源"},
        ).status_code
        == 302
    )
    client.post("/logout")
    login_as(merchant)
    assert client.get("/merchant/complaints").status_code == 200
    r = client.post(f"/merchant/complaints/{complaint.ticket}/answer", data={"note": ""})
    assert r.status_code == 422
    r = client.post(f"/merchant/complaints/{complaint.ticket}/answer", data={"note": "已下架该批食材"})
    assert r.status_code == 302
    client.post("/logout")
    login_as(regulator)
    r = client.post(
        f"/admin/complaints/{complaint.ticket}/transition", data={"action": "resolve", "note": "已核实并整改"}
    )
    assert r.status_code == 422  # substantiated must be decided
    r = client.post(
        f"/admin/complaints/{complaint.ticket}/transition",
        data={"action": "resolve", "note": "已核实并整改", "substantiated": "yes"},
    )
    assert r.status_code == 302
    db.session.refresh(complaint)
    assert (
        complaint.status == "resolved" and complaint.substantiated and complaint.substantiated_on == today()
    )
    assert [e.action for e in complaint.events] == ["submit", "accept", "forward", "answer", "resolve"]
    assert [e.actor_id for e in complaint.events][1:] == [
        regulator.id,
        regulator.id,
        merchant.id,
        regulator.id,
    ]


def test_reply_templates_are_editable_and_fill_an_empty_note(client, login_as):
    complaint = make_complaint(make_shop())
    login_as(make_regulator())
    assert client.post("/admin/complaints/templates", data={"title": "", "body": "x"}).status_code == 422
    r = client.post(
        "/admin/complaints/templates",
        data={"title": "不予受理·超时效", "body": "您反映的问题已超过三年时效，依法不予受理。"},
    )
    assert r.status_code == 302
    template = db.session.scalar(select(ReplyTemplate))
    client.post(
        "/admin/complaints/templates", data={"id": template.id, "title": "超时效", "body": "已超过时效。"}
    )
    db.session.refresh(template)
    assert template.title == "超时效"
    assert "超时效" in client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    r = client.post(
        f"/admin/complaints/{complaint.ticket}/transition",
        data={"action": "reject", "note": "", "template": str(template.id)},
    )
    assert r.status_code == 302
    db.session.refresh(complaint)
    assert complaint.status == "rejected" and complaint.resolution == "已超过时效。"
    client.post(f"/admin/complaints/templates/{template.id}/delete")
    assert db.session.scalar(select(ReplyTemplate)) is None


def test_calendar_page_changes_the_time_limits(client, login_as):
    login_as(make_regulator())
    assert client.get("/admin/calendar?year=2026").status_code == 200
    assert client.post("/admin/calendar", data={"day": "2026-13-45", "is_workday": "0"}).status_code == 422
    r = client.post("/admin/calendar", data={"day": "2026-11-30", "is_workday": "0", "name": "测试假日"})
    assert r.status_code == 302
    assert db.session.get(CalendarDay, date(2026, 11, 30)).name == "测试假日"
    complaint = make_complaint(make_shop(), on=date(2026, 11, 27))
    assert complaint.due_on == date(2026, 12, 2)
    client.post("/admin/calendar/2026-11-30/delete")
    assert db.session.get(CalendarDay, date(2026, 11, 30)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.delete")) is not None


def test_export_csv_and_xlsx_mask_phones_and_defuse_formulas(client, login_as):
    shop = make_shop()
    make_complaint(shop, phone=PHONE, description='=HYPERLINK("http://evil","点我")')
    login_as(make_regulator())
    r = client.get("/admin/complaints/export.csv?status=open")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "工单号" and len(rows) == 2
    assert MASKED in rows[1] and PHONE not in text
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])
    r = client.get("/admin/complaints/export.xlsx")
    book = load_workbook(io.BytesIO(r.data))
    values = [c.value for c in book.active[2]]
    assert MASKED in values and not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert client.get("/admin/complaints/export.pdf").status_code == 404


def overdue_forward():
    """A complaint forwarded ten days ago and not answered: the sweep would escalate it."""
    complaint = make_complaint(make_shop(), status="accepted")
    complaints.transition(
        complaint, "forward", role="regulator", note="请答复", on=today() - timedelta(days=10)
    )
    db.session.commit()
    return complaint


def test_the_desk_shows_what_the_nightly_sweep_escalated(client, login_as, runner):
    # Loading the desk once ran the sweep; the nightly `flask complaints sweep` does it now.
    complaint = overdue_forward()
    assert runner.invoke(args=["complaints", "sweep"]).exit_code == 0
    login_as(make_regulator())
    html = client.get("/admin/complaints?due=escalated").get_data(as_text=True)
    assert complaint.ticket in html
    db.session.refresh(complaint)
    assert complaint.escalated and complaint.shop.unresponsive


def test_loading_the_desk_writes_nothing(app, client, login_as):
    complaint = overdue_forward()
    login_as(make_regulator())
    writes = []

    def record_write(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    def rows():
        db.session.expire_all()
        return (db.session.scalar(select(func.count()).select_from(AuditEvent)),
                db.session.scalar(select(func.count()).select_from(ComplaintEvent)),
                db.session.scalars(select(Complaint.escalated)).all(),
                db.session.scalars(select(Shop.unresponsive)).all())

    before = rows()
    event.listen(db.engine, "before_cursor_execute", record_write)
    try:
        for path in ("/admin/complaints", "/admin/complaints?due=escalated", "/admin/complaints?due=overdue"):
            assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record_write)
    assert writes == []
    db.session.rollback()  # what a GET left in the session uncommitted is not written either
    assert rows() == before
    assert not db.session.get(Complaint, complaint.id).escalated


# -- the merchant's side ------------------------------------------------------------------------------


def forwarded_complaint(shop, **kw):
    complaint = make_complaint(shop, phone=PHONE, description="我电话13812341234，菜里有钢丝球", **kw)
    complaints.transition(complaint, "accept", role="regulator")
    complaints.transition(complaint, "forward", role="regulator", note="请说明情况")
    db.session.commit()
    return complaint


def test_merchant_sees_forwarded_complaints_without_complainant_data(client, login_as, auth_header):
    shop = make_shop()
    forwarded = forwarded_complaint(shop)
    not_yet = make_complaint(shop, description="还没转交的投诉")
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    listing = client.get("/merchant/complaints").get_data(as_text=True)
    assert forwarded.ticket in listing and not_yet.ticket not in listing
    detail = client.get(f"/merchant/complaints/{forwarded.ticket}").get_data(as_text=True)
    assert "钢丝球" in detail and "请说明情况" in detail
    assert PHONE not in detail and MASKED not in detail and "photos" not in detail
    assert client.get(f"/merchant/complaints/{not_yet.ticket}").status_code == 404
    h = auth_header(merchant)
    data = client.get(f"/api/v1/complaints/{forwarded.ticket}", headers=h).get_json()
    for name in (
        "phone",
        "client_hash",
        "ip_hash",
        "assignee",
        "events",
        "photos",
        "supporters",
        "satisfaction",
        "tracking_key_hash",
        "id",
    ):
        assert name not in data
    assert PHONE not in str(data)
    items = client.get("/api/v1/complaints", headers=h).get_json()["items"]
    assert [i["ticket"] for i in items] == [forwarded.ticket]
    assert client.get(f"/api/v1/complaints/{not_yet.ticket}", headers=h).status_code == 404
    r = client.post(
        f"/api/v1/complaints/{forwarded.ticket}/transitions",
        json={"action": "resolve", "note": "x", "substantiated": False},
        headers=h,
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/complaints/{forwarded.ticket}/transitions",
        json={"action": "answer", "note": "已道歉并退款"},
        headers=h,
    )
    assert r.status_code == 200 and r.get_json()["status"] == "answered"
    r = client.post(
        f"/api/v1/complaints/{forwarded.ticket}/transitions",
        json={"action": "answer", "note": "再答一次"},
        headers=h,
    )
    assert r.status_code == 409 and r.get_json()["code"] == 409


def test_other_merchants_see_nothing(client, login_as, auth_header):
    shop = make_shop()
    forwarded = forwarded_complaint(shop)
    stranger = make_merchant(shops=[make_shop()])
    login_as(stranger)
    assert forwarded.ticket not in client.get("/merchant/complaints").get_data(as_text=True)
    assert client.get(f"/merchant/complaints/{forwarded.ticket}").status_code == 404
    assert (
        client.post(f"/merchant/complaints/{forwarded.ticket}/answer", data={"note": "x"}).status_code == 404
    )
    assert (
        client.get(f"/api/v1/complaints/{forwarded.ticket}", headers=auth_header(stranger)).status_code == 404
    )


def test_staff_api_transitions_and_assign(client, auth_header):
    shop = make_shop()
    complaint = make_complaint(shop)
    regulator = make_regulator()
    h = auth_header(regulator)
    url = f"/api/v1/complaints/{complaint.ticket}"
    r = client.post(f"{url}/transitions", json={"action": "answer", "note": "x"}, headers=h)
    assert r.status_code == 403
    r = client.post(f"{url}/transitions", json={"action": "fly"}, headers=h)
    assert r.status_code == 422 and "action" in r.get_json()["errors"]
    r = client.post(f"{url}/transitions", json={"action": "accept"}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    r = client.post(f"{url}/transitions", json={"action": "accept"}, headers=h)
    assert r.status_code == 409 and "不能执行" in r.get_json()["message"]
    r = client.post(f"{url}/assign", json={"handler": "nobody"}, headers=h)
    assert r.status_code == 422 and "handler" in r.get_json()["errors"]
    r = client.post(f"{url}/assign", json={"handler": regulator.username}, headers=h)
    assert r.status_code == 200 and r.get_json()["assignee"] == regulator.username
    assert db.session.get(Complaint, complaint.id).assignee_id == regulator.id
    assert "/api/v1/complaints/{ticket}/transitions" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_supervise_and_profile_sections_render(app):
    from flask import render_template

    from huishang.admin.complaints import complaints_section, shop_review_overview

    shop = make_shop()
    make_complaint(shop, description="<b>粗体</b>投诉")
    inspector = make_inspector()
    with app.test_request_context("/"):
        html = render_template("scan/_supervise_complaints.html", shop=shop,
                               complaints=complaints_section(shop, inspector, open_only=True))
        assert "&lt;b&gt;粗体" in html and "/admin/complaints/" not in html  # no desk link for inspectors
        html = render_template("admin/profile/_complaints.html", shop=shop,
                               complaints=complaints_section(shop, inspector))
        assert "食品安全" in html
        html = render_template("admin/profile/_reviews.html", shop=shop,
                               reviews=shop_review_overview(shop, inspector))
        assert "暂无公开评价" in html


def test_forwarding_notifies_the_shops_merchants_without_complainant_data():
    from huishang.models import Notification

    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    complaint = forwarded_complaint(shop)
    note = db.session.scalar(select(Notification).where(Notification.user_id == merchant.id))
    assert note.kind == "complaint_forwarded" and complaint.ticket in note.title
    assert note.link == f"/merchant/complaints/{complaint.ticket}"
    assert PHONE not in note.title + note.body and "钢丝球" not in note.body
