"""The notification centre: notify() for a user or a shop, unread counts, reading."""
import pytest
from flask import render_template_string
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Notification
from huishang.nav import Nav, nav
from huishang.services import DomainError
from huishang.services.core import mark_read, notify, unread_count
from tests.factories import make_complex, make_merchant, make_property, make_shop

FAILED = []


def failing_sender(notification):
    FAILED.append(notification.id)
    raise RuntimeError("SMS gateway down")


def test_notify_a_shop_reaches_all_its_merchants():
    shop = make_shop()
    a, b = make_merchant(shops=[shop]), make_merchant(shops=[shop])
    outsider = make_merchant(shops=[make_shop()])
    created = notify(shop, "rectification_due", "整改将于3日后到期", "请按期整改", "/merchant/")
    assert {n.user_id for n in created} == {a.id, b.id}
    assert unread_count(a) == unread_count(b) == 1 and unread_count(outsider) == 0
    assert notify(make_shop(), "other", "无人认领") == []


def test_notify_a_user_and_bad_target():
    user = make_merchant()
    assert len(notify(user, "complaint_forwarded", "您有一条投诉待答复")) == 1
    with pytest.raises(DomainError):
        notify("someone", "other", "x")
    with pytest.raises(DomainError):
        notify(user, "other", "  ")


def test_a_failing_sender_never_loses_the_in_app_notice(app):
    user = make_merchant()
    app.config["NOTIFY_SENDER"] = "tests.merchant.test_notifications.failing_sender"
    try:
        created = notify(user, "other", "标题")
    finally:
        app.config.pop("NOTIFY_SENDER")
    assert FAILED == [created[0].id]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_centre_shows_and_marks_read(client, login_as):
    user = make_merchant(shops=[make_shop()])
    mine = notify(user, "answer", "您的咨询已有答复", link="/merchant/questions")[0]
    notify(user, "policy", "新政策：X")
    other = notify(make_merchant(), "answer", "别人的通知")[0]
    db.session.commit()
    login_as(user)
    page = client.get("/merchant/notifications").get_data(as_text=True)
    assert "您的咨询已有答复" in page and "别人的通知" not in page
    assert '<span class="badge">2</span>' in client.get("/merchant/").get_data(as_text=True)
    assert client.post(f"/merchant/notifications/{other.id}/open").status_code == 404
    r = client.post(f"/merchant/notifications/{mine.id}/open")
    assert r.status_code == 302 and r.headers["Location"].endswith("/merchant/questions")
    assert unread_count(user) == 1
    client.post("/merchant/notifications/read-all")
    assert unread_count(user) == 0
    assert db.session.get(Notification, other.id).read_at is None


def test_unsafe_links_are_not_followed(client, login_as):
    user = make_merchant()
    note = notify(user, "other", "x", link="//evil.example/")[0]
    db.session.commit()
    login_as(user)
    r = client.post(f"/merchant/notifications/{note.id}/open")
    assert r.headers["Location"].endswith("/merchant/notifications")


def test_nav_presenter_counts_unread(app):
    user = make_merchant()
    notify(user, "other", "a")
    notify(user, "other", "b")
    with app.test_request_context():
        assert render_template_string("{{ nav.unread_notifications }}", nav=nav(user)) == "2"
        mark_read(user)
        assert render_template_string("{{ nav.unread_notifications }}", nav=nav(user)) == "0"
        assert nav(make_property()) == nav(None) == Nav()  # no badge, no accounts page


def test_property_notice_relay_reaches_every_tenant(client, login_as):
    make_complex()
    tenants = [make_shop(complex="港汇恒隆广场") for _ in range(2)]
    outside = make_shop()
    merchants = [make_merchant(shops=[t]) for t in tenants]
    stranger = make_merchant(shops=[outside])
    login_as(make_property())
    r = client.post("/property/notices", data={"title": "消防检查", "body": "周五下午消防演练"})
    assert r.status_code == 302
    for m in merchants:
        assert unread_count(m) == 1
    assert unread_count(stranger) == 0


def test_notification_api(client, auth_header):
    user, other = make_merchant(), make_merchant()
    first = notify(user, "answer", "一")[0]
    notify(user, "policy", "二")
    theirs = notify(other, "answer", "别人的")[0]
    db.session.commit()
    h = auth_header(user)
    body = client.get("/api/v1/notifications", headers=h).get_json()
    assert body["unread"] == 2 and [n["title"] for n in body["items"]] == ["二", "一"]
    ids = {"ids": [first.id, theirs.id]}
    body = client.post("/api/v1/notifications/read", json=ids, headers=h).get_json()
    assert body["unread"] == 1
    assert unread_count(other) == 1  # someone else's id is ignored
    assert client.post("/api/v1/notifications/read", json={}, headers=h).get_json()["unread"] == 0
    assert client.get("/api/v1/notifications").status_code == 401
