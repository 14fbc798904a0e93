"""Questions (咨询) with their 2-working-day due date, the FAQ, and the policy library."""
import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import CalendarDay, Notification, Question, today
from huishang.services import DomainError
from huishang.services.merchant import policies
from huishang.services.merchant import questions as question_service
from tests.factories import make_merchant, make_regulator, make_shop


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 0)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("asked,due", [
    (date(2026, 3, 2), date(2026, 3, 4)),   # Monday → Wednesday
    (date(2026, 3, 5), date(2026, 3, 9)),   # Thursday → Monday, across the weekend
    (date(2026, 3, 6), date(2026, 3, 10)),  # Friday → Tuesday
    (date(2026, 3, 7), date(2026, 3, 10)),  # Saturday → Tuesday
])
def test_due_date_counts_working_days(asked, due):
    assert question_service.due_date(asked) == due


def test_due_date_skips_configured_holidays():
    db.session.add(CalendarDay(day=date(2026, 3, 9), is_workday=False))  # a Monday holiday
    db.session.flush()
    assert question_service.due_date(date(2026, 3, 5)) == date(2026, 3, 10)


def test_time_left():
    q = question_service.ask(make_shop(), "食品经营许可证延续需要什么材料？", asked_on=date(2026, 3, 5))
    left = question_service.time_left
    assert left(q, date(2026, 3, 6)) == {"workdays": 1, "overdue": False, "answered": False}
    assert left(q, date(2026, 3, 9))["workdays"] == 0
    assert left(q, date(2026, 3, 10)) == {"workdays": -1, "overdue": True, "answered": False}


def test_ask_answer_and_faq_flow(client, login_as):
    shop = make_shop(sign_name="秘密小馆")
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    r = client.post("/merchant/questions/new", content_type="multipart/form-data", data={
        "shop": shop.code, "body": "秘密小馆想问：冷链食品进货查验怎么做？",
        "attachment": (io.BytesIO(jpeg()), "a.jpg")})
    assert r.status_code == 302
    q = db.session.scalar(select(Question))
    assert q.attachment and q.due_on == question_service.due_date(today())
    page = client.get(f"/merchant/questions/{q.id}").get_data(as_text=True)
    assert "剩余" in page or "今日到期" in page  # time left shown to the merchant
    client.post("/logout")
    login_as(make_regulator())
    queue = client.get("/admin/merchants/questions").get_data(as_text=True)
    assert "冷链食品进货查验" in queue and ("剩余" in queue or "今日到期" in queue)
    with client.get(f"/admin/merchants/questions/{q.id}/attachment") as att:
        assert att.mimetype == "image/jpeg"
    assert client.post(f"/admin/merchants/questions/{q.id}", data={"answer": ""}).status_code == 422
    assert client.post(f"/admin/merchants/questions/{q.id}",
                       data={"action": "answer", "answer": "查验并留存追溯码和检测报告。"}).status_code == 302
    note = db.session.scalar(select(Notification).where(Notification.user_id == merchant.id))
    assert note.kind == "answer"
    r = client.post(f"/admin/merchants/questions/{q.id}", data={
        "action": "faq", "faq_question": "冷链食品进货查验怎么做？",
        "faq_answer": "查验并留存追溯码和检测报告。"})
    assert r.status_code == 302
    client.post("/logout")
    faq = client.get("/faq").get_data(as_text=True)
    assert "冷链食品进货查验怎么做？" in faq
    assert "秘密小馆" not in faq and shop.code not in faq and merchant.username not in faq


def test_faq_needs_an_answer_first():
    q = question_service.ask(make_shop(), "问题")
    with pytest.raises(DomainError):
        question_service.publish_faq(q, "问", "答")


def test_bad_attachment_is_refused():
    with pytest.raises(DomainError) as caught:
        question_service.ask(make_shop(), "问题", attachment=b"%PDF-1.4 not an image")
    assert "attachment" in caught.value.errors
    assert db.session.scalar(select(Question)) is None


def test_question_scope(client, login_as):
    mine, theirs = make_shop(), make_shop(street="华泾镇")
    merchant = make_merchant(shops=[mine])
    q = question_service.ask(theirs, "别人的问题")
    db.session.commit()
    login_as(merchant)
    assert client.get(f"/merchant/questions/{q.id}").status_code == 403
    assert "别人的问题" not in client.get("/merchant/questions").get_data(as_text=True)
    assert client.post("/merchant/questions/new", data={"shop": theirs.code, "body": "x"}).status_code == 403
    client.post("/logout")
    login_as(make_regulator(streets=("徐家汇街道",)))
    assert "别人的问题" not in client.get("/admin/merchants/questions").get_data(as_text=True)
    assert client.get(f"/admin/merchants/questions/{q.id}").status_code == 403


def test_policies_reach_merchants_of_their_types(client, login_as):
    snack = make_shop(business_type="catering.snack")
    market = make_shop(business_type="超市")
    eater, grocer = make_merchant(shops=[snack]), make_merchant(shops=[market])
    login_as(make_regulator())
    r = client.post("/admin/merchants/policies", data={"title": "小吃店油烟管理规定", "body": "正文",
                                                       "types": ["catering"]})  # a family tag
    assert r.status_code == 302
    assert client.post("/admin/merchants/policies", data={"title": "", "body": ""}).status_code == 422
    policies.publish("全体经营者须知", "正文", [])
    db.session.commit()
    titles = {u: set(db.session.scalars(select(Notification.title).where(Notification.user_id == u.id)))
              for u in (eater, grocer)}
    assert titles[eater] == {"新政策：小吃店油烟管理规定", "新政策：全体经营者须知"}
    assert titles[grocer] == {"新政策：全体经营者须知"}
    assert [p.title for p in policies.for_merchant(grocer)] == ["全体经营者须知"]
    client.post("/logout")
    login_as(grocer)
    tagged = next(p for p in policies.all_policies() if p.title.startswith("小吃店"))
    assert client.get(f"/merchant/policies/{tagged.id}").status_code == 404
    assert "小吃店" not in client.get("/merchant/policies").get_data(as_text=True)


def test_unknown_policy_tag_is_refused():
    with pytest.raises(DomainError) as caught:
        policies.publish("标题", "正文", ["nope"])
    assert "business_types" in caught.value.errors


def test_question_and_faq_api(client, auth_header):
    shop = make_shop(sign_name="接口小馆")
    merchant = make_merchant(shops=[shop])
    r = client.post("/api/v1/questions", json={"shop_code": shop.code, "body": "接口小馆想问：能否外摆？"},
                    headers=auth_header(merchant))
    assert r.status_code == 201 and r.get_json()["workdays_left"] in (0, 1, 2)
    qid = r.get_json()["id"]
    other = make_merchant(shops=[make_shop()])
    assert client.post("/api/v1/questions", json={"shop_code": shop.code, "body": "x"},
                       headers=auth_header(other)).status_code == 403
    assert client.get("/api/v1/questions", headers=auth_header(other)).get_json() == []
    reg = auth_header(make_regulator())
    r = client.post(f"/api/v1/questions/{qid}/answer", json={"answer": "不可以。"}, headers=reg)
    assert r.status_code == 200
    question_service.publish_faq(db.session.get(Question, qid), "能否外摆？", "不可以。")
    db.session.commit()
    faq = client.get("/api/v1/public/faq").get_json()
    assert faq == [{"question": "能否外摆？", "answer": "不可以。", "answered_on": faq[0]["answered_on"]}]
    assert "接口小馆" not in str(faq) and shop.code not in str(faq)
