"""Licences through the review queue, and expiry reminders at their boundaries."""
import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import ChangeRequest, Licence, Notification, ReminderSent, Staff
from huishang.services import DomainError
from huishang.services.merchant import changes, licences, send_reminders, threshold_due
from tests.factories import make_merchant, make_regulator, make_shop

SENT = []


def recording_sender(notification):
    """A stand-in SMS gateway (NOTIFY_SENDER points here in one test)."""
    SENT.append((notification.user_id, notification.kind, notification.title))


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (250, 250, 250)).save(buf, "PNG")
    return buf.getvalue()


def test_new_licence_goes_through_review_with_its_image(client, login_as):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    r = client.post(f"/merchant/shops/{shop.code}/licences/new", content_type="multipart/form-data", data={
        "kind": "food_business", "number": "JY23101040012345", "issued_on": "2024-01-01",
        "expires_on": "2029-01-01", "image": (io.BytesIO(png()), "licence.png")})
    assert r.status_code == 302
    cr = db.session.scalar(select(ChangeRequest))
    assert cr.kind == "licence" and cr.changes["number"] == "JY23101040012345" and cr.changes["image_path"]
    assert db.session.scalar(select(func.count()).select_from(Licence)) == 0  # not before approval
    client.post("/logout")
    login_as(make_regulator())
    assert "JY23101040012345" in client.get(f"/admin/merchants/changes/{cr.id}").get_data(as_text=True)
    with client.get(f"/admin/merchants/changes/{cr.id}/image") as image:
        assert image.mimetype == "image/png"
    assert client.post(f"/admin/merchants/changes/{cr.id}/approve").status_code == 302
    licence = db.session.scalar(select(Licence))
    assert (licence.number, licence.expires_on) == ("JY23101040012345", date(2029, 1, 1))
    assert licence.shop_id == shop.id
    assert licence.image_path == cr.changes["image_path"]


def test_licence_edit_shows_before_and_after(client, login_as):
    shop = make_shop(licence_no="JY1", licence_expires="2026-06-30")
    merchant = make_merchant(shops=[shop])
    lic = shop.licences[0]
    cr = licences.request_change(shop, {"kind": lic.kind, "number": "JY1", "expires_on": "2031-06-30"},
                                 image=png(), licence=lic, actor=merchant)
    db.session.commit()
    assert cr.before == {"expires_on": "2026-06-30"} and cr.after["expires_on"] == "2031-06-30"
    changes.approve(cr, actor=make_regulator())
    db.session.commit()
    db.session.refresh(lic)
    assert lic.expires_on == date(2031, 6, 30) and lic.number == "JY1"


@pytest.mark.parametrize("data,image,field", [
    ({"kind": "food_business", "number": ""}, "png", "number"),
    ({"kind": "nonsense", "number": "X1"}, "png", "kind"),
    ({"kind": "business", "number": "X1", "expires_on": "31/02/2030"}, "png", "expires_on"),
    ({"kind": "business", "number": "X1", "issued_on": "2025-01-01", "expires_on": "2024-01-01"}, "png",
     "expires_on"),
    ({"kind": "business", "number": "X1"}, None, "image"),
    ({"kind": "business", "number": "X1"}, "fake", "image"),
])
def test_licence_validation_names_the_field(data, image, field):
    shop = make_shop()
    payload = {"png": png(), "fake": b"GIF89a not an allowed image", None: None}[image]
    with pytest.raises(DomainError) as caught:
        licences.request_change(shop, data, image=payload)
    assert field in caught.value.errors
    assert db.session.scalar(select(func.count()).select_from(ChangeRequest)) == 0


@pytest.mark.parametrize("days_left,expected", [(31, None), (30, 30), (8, 30), (7, 7), (1, 7), (0, 0),
                                                (-1, 0), (-31, None)])
def test_threshold_boundaries(days_left, expected):
    assert threshold_due(days_left) == expected


def test_reminders_are_sent_once_per_threshold():
    expiry = date(2026, 3, 31)
    shop = make_shop(licence_no="JY9", licence_expires=expiry.isoformat())
    merchant = make_merchant(shops=[shop])
    sent_by_day = {}
    for days_left in (31, 30, 30, 8, 7, 7, 1, 0, 0):
        counts = send_reminders(expiry - timedelta(days=days_left))
        sent_by_day.setdefault(days_left, []).append(counts["licence"])
    db.session.commit()
    assert sent_by_day == {31: [0], 30: [1, 0], 8: [0], 7: [1, 0], 1: [0], 0: [1, 0]}
    titles = list(db.session.scalars(select(Notification.title).where(Notification.user_id == merchant.id)
                                     .order_by(Notification.id)))
    assert len(titles) == 3
    assert "30天后到期" in titles[0] and "7天后到期" in titles[1] and "已到期" in titles[2]
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 3


def test_renewed_licence_starts_a_new_cycle():
    shop = make_shop(licence_no="JY9", licence_expires="2026-03-31")
    make_merchant(shops=[shop])
    assert send_reminders(date(2026, 3, 1))["licence"] == 1
    shop.licences[0].expires_on = date(2027, 3, 31)
    db.session.flush()
    assert send_reminders(date(2027, 3, 1))["licence"] == 1


def test_late_run_sends_the_missed_threshold_only():
    shop = make_shop(licence_no="JY9", licence_expires="2026-03-31")
    make_merchant(shops=[shop])
    assert send_reminders(date(2026, 3, 27))["licence"] == 1  # 4 days left: the 7-day one
    assert db.session.scalar(select(ReminderSent.threshold)) == 7


def test_health_certificate_reminders():
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    db.session.add(Staff(shop_id=shop.id, name="王小明", health_cert_no="HC1",
                         health_cert_expires=date(2026, 5, 10)))
    db.session.commit()
    assert send_reminders(date(2026, 4, 9))["health_cert"] == 0  # 31 days
    assert send_reminders(date(2026, 4, 10))["health_cert"] == 1
    assert send_reminders(date(2026, 4, 10))["health_cert"] == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == merchant.id))
    assert note.kind == "health_cert_expiry" and "王小明" in note.title


def test_cli_command_and_pluggable_sender(app, runner):
    shop = make_shop(licence_no="JY9", licence_expires="2026-03-31")
    make_merchant(shops=[shop])
    app.config["NOTIFY_SENDER"] = "tests.merchant.test_licences.recording_sender"
    SENT.clear()
    try:
        result = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-24"])
        again = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-24"])
    finally:
        app.config.pop("NOTIFY_SENDER")
    assert result.exit_code == 0, result.output
    assert "licence reminders: 1" in result.output and "licence reminders: 0" in again.output
    assert [kind for _, kind, _ in SENT] == ["licence_expiry"]


def test_closed_shops_get_no_reminders():
    from huishang.services import registry

    shop = make_shop(licence_no="JY9", licence_expires="2026-03-31")
    make_merchant(shops=[shop])
    registry.close_shop(shop)
    assert send_reminders(date(2026, 3, 31))["licence"] == 0


def test_expired_licence_shows_as_expired_on_the_citizen_page(client):
    shop = make_shop(licence_no="JY9", licence_expires="2020-01-31")
    assert shop.licences[0].is_valid() is False
    r = client.get(f"/api/v1/public/shops/{shop.code}")
    assert r.status_code == 200
    assert r.get_json()["licence_state"] == "expired"
    assert "已过期" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_rectification_due_reminders():
    from huishang.models import Inspection, Rectification

    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    inspection = Inspection(shop_id=shop.id, inspected_on=date(2026, 3, 1), outcome="partial")
    db.session.add(inspection)
    db.session.flush()
    rect = Rectification(shop_id=shop.id, inspection_id=inspection.id, deadline=date(2026, 3, 10))
    db.session.add(rect)
    db.session.flush()
    counts = [send_reminders(date(2026, 3, d))["rectification"] for d in (6, 7, 7, 9, 10, 10, 11)]
    assert counts == [0, 1, 0, 0, 1, 0, 0]
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == merchant.id)))
    assert kinds == {"rectification_due"}
    rect.closed_on = date(2026, 3, 9)
    other = Rectification(shop_id=shop.id, inspection_id=inspection.id, deadline=date(2026, 4, 1),
                          closed_on=date(2026, 3, 20))
    db.session.add(other)
    assert send_reminders(date(2026, 3, 29))["rectification"] == 0  # closed ones are not reminded
