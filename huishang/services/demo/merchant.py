"""Demo data for the merchant and property ends: staff with health certificates and vaccination for
the demo merchant's shops (one certificate about to expire), a question waiting for an answer and
one answered and published as FAQ, two policies, a pending change request, a pending move-in
report and a message from the property manager. One of `district.DEMO_STEPS`."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Policy, Staff
from huishang.services import property as property_service
from huishang.services.merchant import changes, policies, questions
from huishang.services.merchant import staff as staff_service
from huishang.services.registry import uscc

STAFF = (("厨师", 3), ("厨师", 2), ("服务员", 3), ("收银员", 1), ("帮厨", 0))
GIVEN = ("建华", "秀兰", "志明", "小红", "国平", "丽娟", "海波", "晓东")
SURNAMES = ("王", "李", "张", "陈", "周", "顾", "沈", "陆")


def _staff(ctx, shop) -> None:
    rng = ctx.rng
    for n, (post, doses) in enumerate(STAFF):
        expires = ctx.today + timedelta(days=rng.randint(60, 330))
        if n == 0:
            expires = ctx.today + timedelta(days=6)  # shows a reminder and an "expiring" flag
        dates = [(ctx.today - timedelta(days=900 - 40 * d)).isoformat() for d in range(doses)]
        staff_service.add(shop, {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "role": post,
            "phone": f"139{rng.randint(10_000_000, 99_999_999)}",
            "health_cert_no": f"沪健{rng.randint(100000, 999999)}",
            "health_cert_expires": expires.isoformat(), "vaccine_doses": doses, "vaccine_dates": dates})


def demo_step(ctx) -> None:
    if db.session.scalar(select(func.count(Staff.id))) or db.session.scalar(select(func.count(Policy.id))):
        return
    merchant = (ctx.users.get("merchant") or [None])[0]
    regulator = (ctx.users.get("regulator") or [None])[0]
    manager = (ctx.users.get("property") or [None])[0]
    shops = list(merchant.shops) if merchant else []
    for shop in shops:
        _staff(ctx, shop)
    policies.publish("上海市小型餐饮服务提供者临时备案管理要求",
                     "小型餐饮服务提供者应在经营场所显著位置公示临时备案信息……", ["catering"],
                     source="沪市监食经〔2024〕示例号", actor=regulator)
    policies.publish("关于做好节日期间食品安全工作的通知",
                     "各经营者应落实进货查验、索证索票和食品留样制度……", [],
                     source="徐汇区市场监督管理局", actor=regulator)
    if shops:
        first = shops[0]
        asked = questions.ask(first, "店里想新增冷饮，需要办理许可证变更吗？", actor=merchant,
                              asked_on=ctx.today - timedelta(days=1))
        answered = questions.ask(first, "健康证到期前多久可以办理复检？", actor=merchant,
                                 asked_on=ctx.today - timedelta(days=10))
        reply = "健康证有效期一年，建议到期前一个月内到指定体检机构办理。"
        questions.answer(answered, reply, actor=regulator)
        questions.publish_faq(answered, "健康证到期前多久可以办理复检？", reply, actor=regulator)
        changes.request_shop_change(first, {"sign_name": first.sign_name + "（旗舰店）"}, actor=merchant,
                                    note="店招已更换，申请同步变更")
        ctx.echo(f"merchant: question {asked.id} awaits an answer; a change request awaits review")
    if manager is not None and manager.complex is not None:
        property_service.report_move_in(manager, {
            "uscc": uscc.generate(), "entity_name": "上海禾润餐饮管理有限公司", "sign_name": "禾润小厨",
            "address": f"{manager.complex.address} B1-08", "business_type": "catering.fast_food",
            "contact": "钱立", "phone": "13761234567"},
            effective_on=ctx.today.isoformat(), note="新签约租户")
        property_service.post_message(manager.complex, manager, "B1层新租户下周开业，请安排上门检查。")
    db.session.flush()
    ctx.echo("merchant: staff, policies, questions (one FAQ), a change request, a move-in report")
