"""Messages beyond the app: a real SMTP server (aiosmtpd) receives the e-mail, a local stand-in of
Alibaba Cloud's SendSms API checks each request's signature and records the SMS, and the outbox keeps
every attempt. Who gets what, the daily cap, retries and a worker that dies mid-send."""
import json
import threading
import urllib.parse
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import OutboundMessage, PlanItem, today, utcnow
from huishang.services import messages, planning
from huishang.services.core import notify
from huishang.services.messages import channels
from tests.factories import add_complaint, add_inspection, make_inspector, make_merchant, make_shop

SECRET = "stand-in-secret"


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd cannot bind port 0 itself)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


class SmsStandIn(BaseHTTPRequestHandler):
    received: list = []
    fail_next: list = []

    def do_POST(self):  # noqa: N802
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        signature = form.pop("Signature")
        if channels.sign_sms(form, SECRET) != signature:
            answer = {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        elif self.fail_next:
            answer = {"Code": self.fail_next.pop(0), "Message": "stand-in refusal"}
        else:
            self.received.append(form)
            answer = {"Code": "OK", "Message": "OK", "BizId": f"biz{len(self.received)}", "RequestId": "r"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def sms():
    SmsStandIn.received, SmsStandIn.fail_next = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SmsStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SmsStandIn, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def configured(app, monkeypatch, smtp, sms):
    inbox, port = smtp
    stand_in, endpoint = sms
    for key, value in {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "MAIL_FROM": "noreply@xuhui.example",
        "SMS_ENDPOINT": endpoint, "SMS_ACCESS_KEY_ID": "stand-in-id", "SMS_ACCESS_KEY_SECRET": SECRET,
        "SMS_SIGN_NAME": "徐汇市场监管", "SMS_TEMPLATES": json.dumps({"default": "SMS_0001"}), "MESSAGES_DAILY_CAP": 5,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return inbox, stand_in


def outbox():
    return db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


def test_a_forwarded_complaint_reaches_the_merchant_by_email_and_sms(configured):
    inbox, stand_in = configured
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    merchant.phone, merchant.email = "138 0013 8000", "boss@example.com"
    notify(shop, "complaint_forwarded", "投诉转办 T12345678", "食品安全投诉，请于 2026-12-08 前答复。",
           "/merchant/complaints/T12345678")
    db.session.commit()
    queued = outbox()
    assert [(m.channel, m.to_address, m.status) for m in queued] == [
        ("sms", "13800138000", "queued"), ("email", "boss@example.com", "queued")]
    assert messages.deliver_due() == {"sent": 2, "retry": 0, "failed": 0}
    [(to, mail)] = inbox.mails
    assert to == ["boss@example.com"] and mail["Subject"] == "投诉转办 T12345678"
    text = mail.get_content()
    assert "2026-12-08 前答复" in text and "/merchant/complaints/T12345678" in text
    [form] = stand_in.received
    assert form["PhoneNumbers"] == "13800138000" and form["SignName"] == "徐汇市场监管"
    assert form["TemplateCode"] == "SMS_0001" and form["Action"] == "SendSms" and form["Version"] == "2017-05-25"
    assert json.loads(form["TemplateParam"])["detail"].startswith("食品安全投诉，请于 2026-12-08")
    db.session.expire_all()
    assert {m.status for m in outbox()} == {"sent"} and outbox()[0].provider_id == "biz1"
    assert messages.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # nothing is sent twice


def test_a_channel_without_settings_queues_nothing_and_a_bad_address_is_skipped(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    merchant.phone, merchant.email = "13800138000", "boss@example.com"
    notify(shop, "complaint_forwarded", "投诉转办", "请答复")
    assert outbox() == []  # neither SMTP nor SMS is configured here
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    merchant.email = "not an address"
    notify(shop, "complaint_forwarded", "投诉转办", "请答复")
    assert outbox() == []


def test_kinds_go_only_to_their_channels_and_inspectors_hear_of_assignments(configured):
    inbox, stand_in = configured
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    merchant.phone, merchant.email = "13800138000", "boss@example.com"
    notify(shop, "policy", "新政策：明码标价", "市场监管总局")  # e-mail only
    assert [m.channel for m in outbox()] == ["email"]
    inspector, partner = make_inspector(), make_inspector()
    inspector.phone, partner.phone = "13900139000", "13700137000"
    add_inspection(shop, today() - timedelta(days=400), "pass")
    assert planning.generate(today(), 30) == 1
    item = db.session.scalar(select(PlanItem))
    planning.assign(item, inspector.id, partner.id)
    db.session.commit()
    sms_to = sorted(m.to_address for m in outbox() if m.kind == "assignment" and m.channel == "sms")
    assert sms_to == ["13700137000", "13900139000"]
    planning.assign(item, inspector.id, partner.id)  # the same pair again: nobody is told twice
    assert len([m for m in outbox() if m.kind == "assignment"]) == 2


def test_at_most_the_daily_cap_per_person_the_rest_recorded_not_sent(configured):
    inbox, stand_in = configured
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    merchant.phone = "13800138000"
    for n in range(7):
        notify(shop, "rectification_due", f"整改即将到期 {n}", "请按期整改")
    db.session.commit()
    assert [m.status for m in outbox()] == ["queued"] * 5 + ["capped"] * 2
    assert messages.deliver_due()["sent"] == 5 and len(stand_in.received) == 5


def test_a_refused_sms_is_retried_with_backoff_then_failed_with_the_reason(configured):
    inbox, stand_in = configured
    stand_in.fail_next = ["isv.BUSINESS_LIMIT_CONTROL"] * 6
    shop = make_shop()
    make_merchant(shops=[shop]).phone = "13800138000"
    notify(shop, "licence_expiry", "证照即将到期", "食品经营许可证 2026-12-31 到期")
    db.session.commit()
    now = utcnow()
    assert messages.deliver_due(now) == {"sent": 0, "retry": 1, "failed": 0}
    [message] = outbox()
    assert message.status == "queued" and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1) and "isv.BUSINESS_LIMIT_CONTROL" in message.last_error
    assert messages.deliver_due(now + timedelta(seconds=30))["retry"] == 0  # not due yet
    later = now
    for _ in range(5):
        later = later + timedelta(hours=13)
        messages.deliver_due(later)
    db.session.expire_all()
    [message] = outbox()
    assert message.status == "failed" and message.attempts == 6 and stand_in.received == []


def test_a_message_claimed_by_a_worker_that_died_is_sent_again_later(configured):
    inbox, stand_in = configured
    shop = make_shop()
    make_merchant(shops=[shop]).phone = "13800138000"
    notify(shop, "licence_expiry", "证照即将到期", "请续期")
    db.session.commit()
    [message] = outbox()
    message.status, message.attempts = "sending", 1  # claimed; the worker was killed before sending
    message.next_attempt_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert messages.deliver_due()["sent"] == 0
    assert messages.deliver_due(utcnow() + timedelta(minutes=11))["sent"] == 1
    assert len(stand_in.received) == 1


def test_a_citizen_hears_by_sms_only_with_consent_and_never_the_merchants_note(configured):
    inbox, stand_in = configured
    complaint = add_complaint(make_shop(), utcnow().date())
    complaint.phone = "13600136000"
    messages.notify_citizen(complaint, "已转交商户处理", consent=False)
    assert outbox() == []
    messages.notify_citizen(complaint, "已转交商户处理", consent=True, event_id=7)
    messages.notify_citizen(complaint, "已转交商户处理", consent=True, event_id=7)  # the same event once
    db.session.commit()
    [message] = outbox()
    assert message.kind == "complaint_progress" and complaint.ticket in message.body
    messages.deliver_due()
    [form] = stand_in.received
    assert form["PhoneNumbers"] == "13600136000"
    assert json.loads(form["TemplateParam"]) == {"title": complaint.ticket, "detail": "已转交商户处理"}


def test_the_outbox_page_is_for_district_wide_regulators_and_masks_addresses(configured, client, login_as):
    from tests.factories import make_regulator

    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    merchant.phone, merchant.email = "13800138000", "boss@example.com"
    notify(shop, "complaint_forwarded", "投诉转办 T1", "请于 2026-12-08 前答复。")
    db.session.commit()
    login_as(make_regulator(streets=["徐家汇街道"]))
    assert client.get("/admin/messages").status_code == 403
    client.post("/logout")
    login_as(make_regulator())
    html = client.get("/admin/messages").get_data(as_text=True)
    assert "投诉转办 T1" in html and "138****8000" in html and "b***@example.com" in html
    assert "13800138000" not in html and "boss@example.com" not in html
    cells = html.split("<tbody>")[1]
    assert "complaint_forwarded" not in cells and "queued" not in cells and "sms" not in cells  # words, not keys
    assert "投诉转办</td>" in cells and "待发送" in cells and "短信" in cells


def test_the_desk_handler_hears_when_a_forwarded_complaint_is_escalated(configured):
    from datetime import date

    from huishang.services.feedback import complaints
    from tests.factories import make_complaint, make_regulator

    inbox, stand_in = configured
    handler = make_regulator()
    handler.phone, handler.email = "13500135000", "desk@example.com"
    shop = make_shop(sign_name="老弄堂生煎")
    complaint = make_complaint(shop, status="accepted")
    complaint.assignee_id = handler.id
    complaints.transition(complaint, "forward", role="regulator", note="请答复", on=date(2026, 11, 27))
    db.session.commit()
    assert complaints.sweep_overdue(complaint.merchant_due_on + timedelta(days=1)) == 1
    db.session.commit()
    escalations = [m for m in outbox() if m.kind == "escalation"]
    assert sorted((m.channel, m.to_address) for m in escalations) == [
        ("email", "desk@example.com"), ("sms", "13500135000")]
    assert all("老弄堂生煎" in m.subject and complaint.ticket in m.subject for m in escalations)
    assert complaints.sweep_overdue(complaint.merchant_due_on + timedelta(days=2)) == 0
    assert len([m for m in outbox() if m.kind == "escalation"]) == 2  # told once
