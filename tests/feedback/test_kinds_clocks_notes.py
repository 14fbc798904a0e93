"""Issue 15/17: 投诉 and 举报 with their legal clocks (SAMR Order 20) computed in working days and
swept nightly, notes that reach only their audience, the citizen's short ticket and 6-digit key
(with the lock on wrong keys), the `complaint_moved` signal with SMS consent, and the language
choice that persists."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import CalendarDay, Complaint, ComplaintEvent, Street
from huishang.services import Conflict, DomainError
from huishang.services.feedback import complaints, open_for_merchant
from huishang.services.reference import seed_reference_data
from huishang.signals import complaint_moved
from tests.factories import make_complaint, make_merchant, make_regulator, make_shop

MONDAY = date(2026, 11, 23)


def file(client, code, **fields):
    body = {"category": "food_safety", "description": "吃完拉肚子，怀疑食材变质"}
    body.update(fields)
    return client.post(f"/api/v1/public/shops/{code}/complaints", json=body)


def forwarded(shop, **kwargs):
    complaint = make_complaint(shop, **kwargs)
    desk = make_regulator(username=f"desk_{complaint.id}")
    complaints.transition(complaint, "accept", role="regulator", actor=desk, note="已受理，正在联系商户")
    complaints.transition(complaint, "forward", role="regulator", actor=desk,
                          note="商户可见：请核实后厨卫生并回复整改情况")
    db.session.commit()
    return complaint, desk


# -- the two kinds -----------------------------------------------------------------------------

def test_a_complaint_needs_name_and_phone_a_report_may_be_anonymous(client):
    shop = make_shop()
    r = file(client, shop.code, kind="complaint")
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert "第九条" in errors["name"][0] and "第九条" in errors["phone"][0]
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    anonymous = file(client, shop.code, kind="report")
    assert anonymous.status_code == 201 and anonymous.get_json()["kind"] == "report"
    named = file(client, shop.code, kind="complaint", name="李女士", phone="13912345678")
    assert named.status_code == 201 and named.get_json()["kind"] == "complaint"
    # Round-3 clients that do not say: a phone makes it a 投诉 (which needs the name), none a 举报.
    assert file(client, shop.code, name="李女士", phone="13912345678").get_json()["kind"] == "complaint"
    phone_only = file(client, shop.code, phone="13912345678")
    assert phone_only.status_code == 422 and list(phone_only.get_json()["errors"]) == ["name"]
    assert file(client, shop.code).get_json()["kind"] == "report"
    stored = db.session.scalar(select(Complaint).where(Complaint.ticket == named.get_json()["ticket"]))
    assert stored.name == "李女士" and stored.named


def test_sms_consent_needs_a_mobile(client):
    shop = make_shop()
    r = file(client, shop.code, kind="report", sms_consent=True)
    assert r.status_code == 422 and "phone" in r.get_json()["errors"]
    r = file(client, shop.code, kind="report", sms_consent=True, phone="021-64870000")
    assert r.status_code == 422 and "phone" in r.get_json()["errors"]
    assert file(client, shop.code, kind="report", sms_consent=True, phone="13912345678").status_code == 201
    assert db.session.scalar(select(Complaint.sms_consent)) is True


def test_the_form_says_each_kind_in_one_sentence(client):
    shop = make_shop()
    html = client.get(f"/s/{shop.code}/complain?category=price").get_data(as_text=True)
    assert "希望监管部门调解" in html and "可以匿名" in html and 'name="sms_consent"' in html
    assert 'name="name"' in html and "第三十三条" in html


# -- notes and their audience ------------------------------------------------------------------

def test_a_merchant_note_never_reaches_the_citizen(client, app, login_as):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    complaint, desk = forwarded(shop)
    complaints.add_note(complaint, "内部：该店上月已有同类投诉", "internal", actor=desk)
    complaints.add_note(complaint, "给投诉人：我们已约谈商户", "citizen", actor=desk)
    db.session.commit()
    citizen = app.test_client()
    page = citizen.get(f"/complaints/{complaint.citizen_ticket}?key={complaint.tracking_key}").get_data(as_text=True)
    data = citizen.get(f"/api/v1/public/complaints/{complaint.citizen_ticket}?key={complaint.tracking_key}").get_json()
    for shown in (page, str(data)):
        assert "商户可见：请核实后厨卫生" not in shown  # the forward note is the merchant's
        assert "内部：该店上月" not in shown
        assert "给投诉人：我们已约谈商户" in shown and "已受理，正在联系商户" in shown
    assert "已转商户" in page  # the step itself is shown, without its note
    # The merchant sees the desk's note for them, never the internal or the citizen's note.
    html = login_as(merchant).get(f"/merchant/complaints/{complaint.ticket}").get_data(as_text=True)
    assert "商户可见：请核实后厨卫生" in html
    assert "内部：该店上月" not in html and "给投诉人" not in html


def test_merchant_notes_only_on_forwarded_complaints(client):
    shop = make_shop()
    report = make_complaint(shop, kind="report")
    desk = make_regulator()
    with pytest.raises(DomainError) as caught:
        complaints.add_note(report, "给商户", "merchant", actor=desk)
    assert "audience" in caught.value.errors
    with pytest.raises(DomainError) as caught:
        complaints.add_note(report, "x", "everyone", actor=desk)
    assert "audience" in caught.value.errors


def test_desk_detail_shows_the_clocks_with_their_sources_and_the_audiences(client, login_as):
    shop = make_shop()
    complaint, desk = forwarded(shop)
    login_as(desk)
    html = client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    assert "第十四条" in html and "第二十一条" in html and "本区服务承诺" in html
    assert "商户可见：请核实后厨卫生" in html and "商户可见</span>" in html  # the desk sees every note, labelled
    accepted = make_complaint(shop)
    complaints.transition(accepted, "accept", role="regulator", actor=desk)
    db.session.commit()
    assert "仅商户可见，不告知投诉人" in client.get(f"/admin/complaints/{accepted.ticket}").get_data(as_text=True)
    r = client.post(f"/admin/complaints/{complaint.ticket}/note",
                    data={"audience": "internal", "note": "电话回访未接通"})
    assert r.status_code == 302
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.action == "note"))
    assert event.audience == "internal" and not event.public


# -- the clocks --------------------------------------------------------------------------------

def _state(complaint, code, on):
    return next(c for c in complaints.clocks(complaint, on) if c.code == code)


def test_a_complaint_is_accepted_within_seven_working_days(client):
    shop = make_shop()
    complaint = make_complaint(shop, on=MONDAY)  # due Wednesday 2 December (7 working days)
    assert _state(complaint, "accept_decision", date(2026, 12, 1)).state == "running"
    on_day = _state(complaint, "accept_decision", date(2026, 12, 2))
    assert on_day.state == "running" and on_day.due_on == date(2026, 12, 2) and "今天到期" in on_day.words
    late = _state(complaint, "accept_decision", date(2026, 12, 3))
    assert late.state == "overdue" and "第十四条" in late.source
    assert [c.code for c in complaints.clocks(complaint, MONDAY)] == ["promise", "accept_decision", "mediation"]
    assert _state(complaint, "mediation", MONDAY).state == "waiting"


def test_a_holiday_moves_the_legal_limit(client):
    shop = make_shop()
    db.session.add(CalendarDay(day=date(2026, 11, 30), is_workday=False, name="测试假日"))
    db.session.commit()
    complaint = make_complaint(shop, on=MONDAY)
    assert _state(complaint, "accept_decision", MONDAY).due_on == date(2026, 12, 3)


def test_mediation_runs_45_working_days_from_acceptance(client):
    shop = make_shop()
    complaint = make_complaint(shop, on=MONDAY)
    desk = make_regulator()
    complaints.transition(complaint, "accept", role="regulator", actor=desk, on=date(2026, 11, 24))
    db.session.commit()
    assert complaint.accepted_on == date(2026, 11, 24)
    mediation = _state(complaint, "mediation", date(2026, 11, 24))
    assert mediation.due_on == date(2027, 1, 26) and mediation.state == "running"
    assert _state(complaint, "mediation", date(2027, 1, 27)).state == "overdue"
    assert _state(complaint, "accept_decision", date(2027, 1, 27)).state == "met"


def test_a_report_is_decided_in_fifteen_working_days_extendable_once(client):
    shop = make_shop()
    report = make_complaint(shop, kind="report", on=MONDAY)
    case = _state(report, "case_decision", MONDAY)
    assert case.due_on == date(2026, 12, 14) and "第十八条" in case.source
    assert "reporter_notice" not in [c.code for c in complaints.clocks(report, MONDAY)]  # anonymous
    desk = make_regulator()
    complaints.extend_case(report, actor=desk, note="需检验，科长王某批准")
    assert _state(report, "case_decision", MONDAY).due_on == date(2027, 1, 4)
    with pytest.raises(Conflict):
        complaints.extend_case(report, actor=desk, note="再延")


def test_a_named_reporter_is_told_within_five_working_days(client):
    shop = make_shop()
    report = make_complaint(shop, kind="report", name="赵先生", phone="13912345678", on=MONDAY)
    assert _state(report, "reporter_notice", MONDAY).state == "waiting"
    desk = make_regulator()
    complaints.transition(report, "accept", role="regulator", actor=desk, on=MONDAY)
    complaints.transition(report, "resolve", role="regulator", actor=desk, note="已立案调查", substantiated=True,
                          on=date(2026, 11, 26))
    notice = _state(report, "reporter_notice", date(2026, 11, 26))
    assert notice.due_on == date(2026, 12, 3) and notice.state == "met" and "第三十一条第二款" in notice.source


def test_the_nightly_sweep_marks_each_legal_clock_once(client, runner):
    shop = make_shop()
    complaint = make_complaint(shop, on=MONDAY)
    report = make_complaint(shop, kind="report", on=MONDAY)
    assert complaints.sweep_legal(date(2026, 12, 2)) == 0  # the day of the limit is still in time
    assert complaints.sweep_legal(date(2026, 12, 3)) == 1
    assert complaint.overdue_clocks == "accept_decision" and report.overdue_clocks == ""
    assert complaints.sweep_legal(date(2026, 12, 4)) == 0  # once
    result = runner.invoke(args=["complaints", "sweep", "--on", "2026-12-15"])
    assert "marked 1 legal time limit(s) overdue" in result.output
    db.session.expire_all()
    notes = db.session.scalars(select(ComplaintEvent.note).where(ComplaintEvent.action == "overdue")).all()
    assert len(notes) == 2 and all("法定时限已过" in n for n in notes)
    events = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.action == "overdue")).all()
    assert all(e.audience == "internal" and not e.public for e in events)


def test_open_for_merchant_gives_the_clock_in_words(client):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    complaint, _desk = forwarded(shop)
    make_complaint(shop, kind="report")  # never the merchant's task
    tasks = open_for_merchant(merchant, on=complaint.forwarded_on)
    assert [t["ticket"] for t in tasks] == [complaint.ticket]
    assert "前答复" in tasks[0]["words"] and "还剩 3 个工作日" in tasks[0]["words"]
    late = open_for_merchant(merchant, on=date(2030, 1, 1))
    assert late[0]["overdue"] and "已超过答复期限" in late[0]["words"]


# -- the citizen's ticket and key --------------------------------------------------------------

def test_short_ticket_any_case_six_digit_key_or_last_four_of_the_phone(client, app):
    shop = make_shop()
    complaint = make_complaint(shop, phone="13912345678")
    code, key = complaint.short_code, complaint.tracking_key
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", code) and re.fullmatch(r"\d{6}", key)
    other = app.test_client()
    assert other.post("/complaints/track", data={"ticket": code.lower(), "key": "000000" if key != "000000"
                                                 else "111111"}).status_code == 404
    r = other.post("/complaints/track", data={"ticket": f" {code[:4].lower()}-{code[4:]} ", "key": key})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/complaints/{code}")
    page = other.get(r.headers["Location"]).get_data(as_text=True)
    assert code in page and "饭菜里有头发" in page  # this browser opened it with the key
    third = app.test_client()
    assert third.get(f"/complaints/{code}").status_code == 404  # no key, not remembered
    assert third.post("/complaints/track", data={"ticket": code, "key": "5678"}).status_code == 302
    assert third.get(f"/api/v1/public/complaints/{code}?key=5678").status_code == 200


def test_old_tickets_and_keys_still_work(client):
    shop = make_shop()
    complaint = make_complaint(shop)
    complaint.short_code, complaint.pin_hash = None, None  # as filed before round 4
    complaint.tracking_key_hash = complaints.hash_key("Zx9-old-22-character-k")
    db.session.commit()
    r = client.get(f"/api/v1/public/complaints/{complaint.ticket}?key=Zx9-old-22-character-k")
    assert r.status_code == 200 and r.get_json()["code"] == complaint.ticket
    r = client.post("/complaints/track", data={"ticket": complaint.ticket.lower(), "key": "Zx9-old-22-character-k"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/complaints/{complaint.ticket}")


class ThrottledConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


@pytest.fixture
def throttled(app):
    """A second app with rate limits on (the limiter is one object per process: put back after)."""
    limited = create_app(ThrottledConfig)
    limited.config["UPLOAD_DIR"] = app.config["UPLOAD_DIR"]
    try:
        with limited.app_context():
            db.create_all()
            if not db.session.scalar(select(func.count()).select_from(Street)):
                seed_reference_data()
            db.session.commit()
            limiter.reset()
            yield limited
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.init_app(app)


def test_five_wrong_keys_lock_the_ticket_even_for_the_right_key(throttled):
    shop = make_shop()
    complaint = make_complaint(shop)
    code, key = complaint.short_code, complaint.tracking_key
    wrong = "000000" if key != "000000" else "111111"
    attacker = throttled.test_client()
    for _ in range(5):
        assert attacker.post("/complaints/track", data={"ticket": code, "key": wrong}).status_code == 404
    locked = attacker.post("/complaints/track", data={"ticket": code, "key": key})
    assert locked.status_code == 429 and "查询码错误次数过多" in locked.get_data(as_text=True)
    # Locked for everyone and through every door (the TS ticket and the API count as the same ticket).
    citizen = throttled.test_client()
    elsewhere = {"REMOTE_ADDR": "10.9.9.9"}
    assert citizen.get(f"/api/v1/public/complaints/{complaint.ticket}?key={key}",
                       environ_base=elsewhere).status_code == 429
    # Another ticket is not locked; right keys never count.
    other = make_complaint(shop)
    for _ in range(6):
        assert citizen.get(f"/api/v1/public/complaints/{other.short_code}?key={other.tracking_key}",
                           environ_base=elsewhere).status_code == 200


def test_wrong_keys_lock_the_ip_across_tickets(throttled):
    throttled.config["FEEDBACK_KEY_FAILURES_IP"] = "3 per hour"
    shop = make_shop()
    items = [make_complaint(shop) for _ in range(3)]
    client = throttled.test_client()
    attacker, elsewhere = {"REMOTE_ADDR": "10.7.7.7"}, {"REMOTE_ADDR": "10.8.8.8"}
    for item in items:
        wrong = "999999" if item.tracking_key != "999999" else "888888"
        assert client.get(f"/api/v1/public/complaints/{item.short_code}?key={wrong}",
                          environ_base=attacker).status_code == 404
    fresh = make_complaint(shop)
    url = f"/api/v1/public/complaints/{fresh.short_code}?key={fresh.tracking_key}"
    assert client.get(url, environ_base=attacker).status_code == 429
    assert client.get(url, environ_base=elsewhere).status_code == 200


# -- progress messages -------------------------------------------------------------------------

def test_complaint_moved_carries_the_citizen_status_and_consent(client):
    heard = []

    def receiver(sender, **kw):
        heard.append((sender, kw))

    complaint_moved.connect(receiver)
    try:
        shop = make_shop()
        agreed = make_complaint(shop, phone="13912345678", sms_consent=True)
        silent = make_complaint(shop, phone="13912345679")
        desk = make_regulator()
        for c in (agreed, silent):
            complaints.transition(c, "accept", role="regulator", actor=desk, note="已受理")
            complaints.transition(c, "forward", role="regulator", actor=desk, note="商户可见的转交意见")
        db.session.commit()
    finally:
        complaint_moved.disconnect(receiver)
    by_id = {}
    for sender, kw in heard:
        by_id.setdefault(sender, []).append(kw)
    assert [kw["action"] for kw in by_id[agreed.id]] == ["accept", "forward"]
    assert all(kw["notify_citizen"] for kw in by_id[agreed.id])
    assert not any(kw["notify_citizen"] for kw in by_id[silent.id])
    forward = by_id[agreed.id][1]
    assert forward["status"] == "forwarded" and forward["status_label"] == "已转商户"
    assert agreed.short_code in forward["message"] and "商户可见的转交意见" not in forward["message"]
    assert "已受理" in by_id[agreed.id][0]["message"]


# -- the language --------------------------------------------------------------------------------

def test_lang_in_the_address_lasts_beyond_one_page(client):
    first = client.get("/home?lang=en")
    assert 'lang="en"' in first.get_data(as_text=True)
    assert "lang=en" in first.headers.get("Set-Cookie", "")
    second = client.get("/home")
    assert 'lang="en"' in second.get_data(as_text=True)
    assert "Set-Cookie" not in second.headers or "lang=" not in second.headers["Set-Cookie"]
    back = client.get("/lang/zh?next=/home")
    assert back.status_code == 302
    assert 'lang="zh-CN"' in client.get("/home").get_data(as_text=True)


def test_a_consenting_citizen_gets_a_progress_sms_in_the_outbox(app, monkeypatch):
    """The `complaint_moved` receiver (messages.on_complaint_moved) queues the SMS: the short ticket
    and the citizen-visible status, never the merchant's note; nothing without consent."""
    import json

    from huishang.models import OutboundMessage

    for key, value in {"SMS_ACCESS_KEY_ID": "id", "SMS_ACCESS_KEY_SECRET": "secret", "SMS_SIGN_NAME": "徐汇市场监管",
                       "SMS_TEMPLATES": json.dumps({"default": "SMS_0001"})}.items():
        monkeypatch.setitem(app.config, key, value)
    shop = make_shop()
    agreed = make_complaint(shop, phone="13912345678", sms_consent=True)
    silent = make_complaint(shop, phone="13912345679")
    desk = make_regulator()
    for c in (agreed, silent):
        complaints.transition(c, "accept", role="regulator", actor=desk)
        complaints.transition(c, "forward", role="regulator", actor=desk, note="商户可见的转交意见")
    db.session.commit()
    sent = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "complaint_progress")).all()
    assert {m.to_address for m in sent} == {"13912345678"} and len(sent) == 2
    assert all(agreed.short_code in m.body and "商户可见的转交意见" not in m.body for m in sent)
    assert "已转商户" in sent[-1].body
