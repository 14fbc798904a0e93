"""Demo data for citizen feedback: reviews on about a fifth of the open shops (a few held for
moderation, some answered by the merchant), desk reply templates, and a dozen complaints in
every state of the loop — including one forwarded to the demo merchant and left unanswered past
its limit, so the desk shows an escalation. One of `district.DEMO_STEPS`."""
from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Complaint, ReplyTemplate, Review
from huishang.services.feedback import complaints, moderation, reviews

REVIEW_TEXTS = {
    5: ("味道很好，老板很热情", "干净卫生，会再来", "分量足，价格实惠", ""),
    4: ("总体不错，就是排队久了点", "环境挺好，上菜快", ""),
    3: ("一般般，没什么特色", "价格略贵", ""),
    2: ("服务员态度不太好", "等了四十分钟才上菜", "桌子没擦干净"),
    1: ("吃完肚子不舒服", "饭菜里有头发，找老板也不理", "老板是个混蛋，态度恶劣"),
}
TAGS = {5: ("clean", "friendly", "tasty"), 4: ("fast", "good_value"), 3: ("pricey",), 2: ("slow", "rude"),
        1: ("dirty", "rude")}
REPLIES = ("感谢您的光临，我们会继续努力！", "非常抱歉给您带来不好的体验，已对员工进行培训。",
           "谢谢反馈，已加派人手缩短等待时间。")
TEMPLATES = (
    ("受理告知", "您的投诉已受理，我们将在规定时限内核查处理，请留意工单进度。"),
    ("不予受理·超出管辖", "您反映的问题不属于市场监管部门职责范围，建议向相关主管部门反映。"),
    ("转交商户", "请于三个工作日内核实顾客反映的问题，并通过平台答复处理情况。"),
    ("办结·已调解", "经调解，商户已向您致歉并退还相关费用，本件办结。如有异议可在15天内重新打开。"),
    ("办结·属实已立案", "经现场核查，反映问题属实，已责令商户整改并依法处理。感谢您的监督。"),
)
COMPLAINTS = (  # (category, kind, description, script, days ago)
    ("food_safety", "complaint", "在店里吃的凉菜有异味，吃完腹泻。", ("accept", "forward"), 12),
    ("price", "complaint", "菜单标价28元，结账按38元收取。", (), 0),
    ("price", "complaint", "团购套餐到店被要求加价。", (), 3),
    ("hygiene", "report", "后厨地面积水，垃圾桶未加盖，有苍蝇。", ("accept",), 2),
    ("measurement", "complaint", "称重的熟食明显缺斤短两。", ("accept", "forward", "answer"), 6),
    ("food_safety", "report", "冰柜里有过期的冷冻肉。", ("accept", "resolve+"), 20),
    ("service", "complaint", "店员辱骂顾客。", ("accept", "forward", "answer", "resolve"), 9),
    ("false_advertising", "complaint", "宣传现做现卖，其实是料理包加热。",
     ("accept", "close_unresolved"), 14),
    ("other", "complaint", "门口占道经营，堵住人行道。", ("not_our_jurisdiction",), 5),
    ("price", "complaint", "同一件事重复提交：多收了十元。", ("duplicate",), 3),
    ("service", "complaint", "外卖漏送，商家拒绝退款。", ("reject",), 8),
    ("food_safety", "complaint", "奶茶里喝出异物。",
     ("accept", "forward", "answer", "resolve", "reopen"), 16),
)
NOTES = {"accept": "", "reject": "外卖平台纠纷请向平台投诉，本部门不予受理。", "forward": "请核实并答复。",
         "answer": "已与顾客联系并退款，对员工进行了批评教育。", "resolve": "经调解双方达成一致，本件办结。",
         "resolve+": "经现场核查属实，已责令整改。", "close_unresolved": "双方未达成一致，调解终止。",
         "not_our_jurisdiction": "占道经营属城管部门职责，已告知投诉人。",
         "duplicate": "与同一商铺的价格投诉重复。",
         "reopen": "退款迟迟没有到账。"}


def _hash(rng) -> str:
    return hashlib.sha256(str(rng.random()).encode()).hexdigest()


def demo_step(ctx) -> None:
    if db.session.scalar(select(func.count(Review.id))) or db.session.scalar(
            select(func.count(Complaint.id))):
        return
    rng = ctx.rng
    open_shops = [s for s in ctx.shops if s.status == "open"]
    merchant = (ctx.users.get("merchant") or [None])[0]
    merchant_shops = list(merchant.shops) if merchant else []
    for shop in merchant_shops + rng.sample(open_shops, min(len(open_shops), len(open_shops) // 5)):
        _reviews(ctx, shop, merchant_shops)
    for title, body in TEMPLATES:
        db.session.add(ReplyTemplate(title=title, body=body, position=len(title)))
    regulator = (ctx.users.get("regulator") or [None])[0]
    targets = merchant_shops or open_shops[:1]
    for n, (category, kind, text, script, days) in enumerate(COMPLAINTS):
        shop = targets[n % len(targets)] if n < 8 or "duplicate" in script else rng.choice(open_shops)
        _complaint(ctx, shop, category, kind, text, script, days, regulator, merchant)
    complaints.sweep_overdue(ctx.today)
    db.session.flush()
    ctx.echo("feedback: reviews, reply templates and 12 complaints in every state of the loop")


def _reviews(ctx, shop, merchant_shops) -> None:
    rng = ctx.rng
    for _ in range(rng.randint(1, 6)):
        stars = rng.choices((5, 4, 3, 2, 1), weights=(40, 30, 14, 10, 6))[0]
        review = reviews.submit(shop, {"stars": stars, "text": rng.choice(REVIEW_TEXTS[stars]),
                                       "tags": rng.sample(TAGS[stars], rng.randint(0, len(TAGS[stars])))},
                                client_hash=_hash(rng), ip_hash=_hash(rng), known_client=True)
        review.created_at -= timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600))
        if review.status == "visible" and (shop in merchant_shops or rng.random() < 0.2):
            reviews.reply(review, rng.choice(REPLIES), actor=None)
    moderation.recount(shop)


def _complaint(ctx, shop, category, kind, text, script, days, regulator, merchant) -> None:
    on = ctx.today - timedelta(days=days)
    complaint, _key = complaints.submit(shop, {"category": category, "kind": kind, "description": text,
                                               "phone": "139" + f"{ctx.rng.randint(0, 99999999):08d}",
                                               "name": "王李张刘陈"[days % 5] + "先生"},  # a 投诉 needs a name
                                        client_hash=_hash(ctx.rng), ip_hash=_hash(ctx.rng), on=on)
    complaint.created_at = datetime.combine(on, time(2, 30))
    if regulator is not None and script:
        complaints.assign(complaint, regulator, actor=regulator)
    step_day = on
    for action in script:
        step_day = min(ctx.today, step_day + timedelta(days=1))
        name = action.rstrip("+")
        role = {"answer": "merchant", "reopen": "citizen"}.get(name, "regulator")
        actor = {"merchant": merchant, "regulator": regulator}.get(role)
        extra = {}
        if name in complaints.CLOSING:
            extra["substantiated"] = action.endswith("+")
        if name == "duplicate":
            original = db.session.scalar(select(Complaint).where(Complaint.shop_id == shop.id,
                                                                 Complaint.id != complaint.id))
            if original is None:
                continue
            extra["duplicate_of"] = original.ticket
        complaints.transition(complaint, name, role=role, actor=actor, note=NOTES[action] or None,
                              on=step_day, **extra)
