"""Merchants' self-checks (自查): recording one with the inspection's answer and outcome rules, and
the shops whose self-check is overdue (every SELF_CHECK_INTERVAL_DAYS)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import SelfCheck, Shop, today
from huishang.services import Conflict, DomainError, registry
from huishang.services.catalog import checklists
from huishang.services.core import audit

from .records import _check_answers, _insert_once, outcome_of


def self_check_interval() -> int:
    return int(current_app.config.get("SELF_CHECK_INTERVAL_DAYS", 30))


def record_self_check(
    shop: Shop,
    template_id,
    answers: list[dict],
    *,
    actor,
    client_id: str | None = None,
    checked_on: date | None = None,
) -> tuple[SelfCheck, bool]:
    """A merchant's self-check; same answer rules and outcome rule as an inspection.
    Returns (self_check, created). Raises DomainError naming the bad field."""
    if client_id:
        existing = db.session.scalar(select(SelfCheck).where(SelfCheck.client_id == client_id))
        if existing is not None:
            if existing.shop_id != shop.id:
                raise Conflict(N_("client_id 已被使用"), {"client_id": [N_("已被使用")]})
            return existing, False
    errors: dict[str, list[str]] = {}
    template = checklists.get_template(template_id)
    if template is None or template.kind != "self_check":
        errors["template_id"] = [N_("请选择有效的自查表")]
    elif template.retired:
        errors["template_id"] = [N_("该自查表已停用，请选择现行自查表")]
    on = checked_on or today()
    if on > today():
        errors["checked_on"] = [N_("自查日期不能晚于今天")]
    if client_id is not None and not (8 <= len(client_id) <= 64):
        errors["client_id"] = [N_("client_id 长度应为 8–64 个字符")]
    by_item = _check_answers(template, answers, errors) if template else {}
    if errors:
        raise DomainError(N_("自查记录有误"), errors)
    outcome = outcome_of(template.items, {k: v["result"] for k, v in by_item.items()})
    check = SelfCheck(
        shop_id=shop.id,
        template_id=template.id,
        user_id=getattr(actor, "id", None),
        checked_on=on,
        outcome=outcome,
        client_id=client_id,
        answers=[{"item_id": k, **v} for k, v in by_item.items()],
    )
    if not _insert_once(check):
        return db.session.scalar(select(SelfCheck).where(SelfCheck.client_id == client_id)), False
    audit.record(
        "self_check.create",
        check,
        actor=actor,
        after={"template_id": template.id, "outcome": outcome, "checked_on": on},
    )
    return check, True


def last_self_check_on(shop: Shop) -> date | None:
    return db.session.scalar(select(func.max(SelfCheck.checked_on)).where(SelfCheck.shop_id == shop.id))


def self_check_due_on(shop: Shop) -> date:
    last = last_self_check_on(shop)
    return (last or shop.registered_on) + timedelta(days=self_check_interval())


def overdue_self_checks(user, on: date | None = None):
    """A SELECT of (Shop, last self-check date) for active shops in the user's scope whose last
    self-check (or registration, if none) is more than SELF_CHECK_INTERVAL_DAYS ago."""
    cutoff = (on or today()) - timedelta(days=self_check_interval())
    last = (
        select(SelfCheck.shop_id, func.max(SelfCheck.checked_on).label("last_on"))
        .group_by(SelfCheck.shop_id)
        .subquery()
    )
    scoped = registry.scoped_shops(user).where(Shop.status == "open").subquery()
    return (
        select(Shop, last.c.last_on)
        .join(scoped, scoped.c.id == Shop.id)
        .outerjoin(last, last.c.shop_id == Shop.id)
        .where(or_(and_(last.c.last_on.is_(None), Shop.registered_on < cutoff), last.c.last_on < cutoff))
        .order_by(func.coalesce(last.c.last_on, Shop.registered_on), Shop.id)
    )
