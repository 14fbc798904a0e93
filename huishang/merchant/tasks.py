"""The presenter of the merchant home's task list (issue 17): what the merchant has to do, in words
and soonest first — complaints to answer with their clocks, rectifications due, licences and
health certificates expiring, self-checks due — before the list of shops.

Complaint clocks: a forwarded complaint is answered within 3 working days (市场监督管理投诉举报处理
暂行办法 / the desk's merchant_due_on, see services.feedback.complaints.deadlines); a late answer
is recorded and escalated, so the task says how many days are left or how late it is."""
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from huishang.services import inspections
from huishang.services.catalog import checklists
from huishang.services.feedback import complaints as complaint_service

from ..extensions import db
from ..models import Staff

LICENCE_WARN_DAYS = 60  # a licence renewal takes weeks: warn two months ahead
HEALTH_CERT_WARN_DAYS = 30
SELF_CHECK_WARN_DAYS = 7


@dataclass
class Task:
    kind: str  # complaint | rectification | licence | health_cert | self_check
    title: str  # what to do, in words
    clock: str  # how much time is left, in words
    due_on: date
    url: str
    late: bool

    @property
    def soon(self) -> bool:
        return not self.late


def clock(due_on: date, on: date) -> str:
    """'还剩 3 天（12月8日前）', '今天到期', '已逾期 2 天' — never a bare date or code."""
    days = (due_on - on).days
    if days < 0:
        return _("已逾期 %(n)s 天", n=-days)
    if days == 0:
        return _("今天到期")
    return _("还剩 %(n)s 天（%(date)s 前）", n=days, date=due_on.isoformat())


def tasks_for(user, shops, on: date) -> list[Task]:
    """Every open task of the merchant's shops, the latest first (most overdue, then soonest)."""
    live = [s for s in shops if s.status != "closed"]
    out: list[Task] = []
    for c in db.session.scalars(complaint_service.for_merchant(live)):
        if c.status != "forwarded" or c.merchant_due_on is None:
            continue
        title = _("答复顾客投诉：%(shop)s · %(what)s", shop=c.shop.sign_name, what=_(c.category_label))
        out.append(Task("complaint", title,
                        clock(c.merchant_due_on, on), c.merchant_due_on,
                        url_for("merchant.complaint", ticket=c.ticket), c.merchant_due_on < on))
    for shop in live:
        for r in inspections.open_rectifications(shop):
            if r.reported_done_on:
                continue
            out.append(Task("rectification", _("完成整改并报告：%(shop)s", shop=shop.sign_name),
                            clock(r.deadline, on), r.deadline, url_for("merchant.rectifications"), r.deadline < on))
        for lic in shop.licences:
            if lic.expires_on and (lic.expires_on - on).days <= LICENCE_WARN_DAYS:
                out.append(Task("licence", _("办理许可证延续：%(shop)s（%(number)s）", shop=shop.sign_name,
                                             number=lic.number),
                                clock(lic.expires_on, on), lic.expires_on,
                                url_for("merchant.shop", code=shop.code), lic.expires_on < on))
        due = inspections.self_check_due_on(shop)
        if (due - on).days <= SELF_CHECK_WARN_DAYS and checklists.applicable_templates(shop, "self_check"):
            out.append(Task("self_check", _("做一次自查：%(shop)s", shop=shop.sign_name), clock(due, on), due,
                            url_for("merchant.self_check_new", code=shop.code), due < on))
    ids = [s.id for s in live] or [-1]
    people = db.session.scalars(select(Staff).where(
        Staff.shop_id.in_(ids), Staff.active.is_(True), Staff.health_cert_expires.is_not(None))).all()
    by_shop: dict[int, list] = {}
    for p in people:
        if (p.health_cert_expires - on).days <= HEALTH_CERT_WARN_DAYS:
            by_shop.setdefault(p.shop_id, []).append(p)
    for shop in live:
        group = by_shop.get(shop.id)
        if not group:
            continue
        first = min(p.health_cert_expires for p in group)
        out.append(Task("health_cert", _("更新 %(n)s 名员工的健康证：%(shop)s", n=len(group), shop=shop.sign_name),
                        clock(first, on), first, url_for("merchant.staff_list", code=shop.code), first < on))
    out.sort(key=lambda t: t.due_on)
    return out
