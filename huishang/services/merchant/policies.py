"""Policy library (政策法规): regulators publish policies tagged by business type (a family tag
covers its types; no tag covers everyone); each merchant sees those for their shops' types and
gets a "new policy for your type" notification."""
from __future__ import annotations

from sqlalchemy import or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Policy, Shop, User
from huishang.models.merchant import policy_business_types
from huishang.models.users import user_shops
from huishang.services import DomainError
from huishang.services.core import audit, notifications


def publish(title: str, body: str, type_codes, *, source: str = "", actor=None) -> Policy:
    title, body, source = (title or "").strip(), (body or "").strip(), (source or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [N_("请填写标题")]
    elif len(title) > 200:
        errors["title"] = [N_("不能超过200个字")]
    if not body:
        errors["body"] = [N_("请填写正文")]
    if len(source) > 200:
        errors["source"] = [N_("不能超过200个字")]
    codes = [c for c in (type_codes or []) if c]
    types = (list(db.session.scalars(select(BusinessType).where(BusinessType.code.in_(codes))))
             if codes else [])
    if len(types) != len(set(codes)):
        known = {t.code for t in types}
        errors["business_types"] = [N_("未知业态：%(code)s", code=c) for c in codes if c not in known]
    if errors:
        raise DomainError(N_("政策信息有误"), errors)
    policy = Policy(title=title, body=body, source=source, published_by_id=getattr(actor, "id", None),
                    business_types=types)
    db.session.add(policy)
    db.session.flush()
    audit.record("policy.publish", policy, actor=actor,
                 after={"title": title, "business_types": [t.code for t in types]})
    for user in audience(policy):
        notifications.notify(user, "policy", f"新政策：{title}", source, f"/merchant/policies/{policy.id}")
    return policy


def _type_ids(policy: Policy) -> set[int]:
    return {t.id for t in policy.business_types}


def audience(policy: Policy) -> list[User]:
    """Merchants holding at least one open shop of a tagged type (or any, when untagged)."""
    query = (select(User).join(user_shops, user_shops.c.user_id == User.id)
             .join(Shop, Shop.id == user_shops.c.shop_id)
             .where(User.role == "merchant", User.active, Shop.status != "closed"))
    ids = _type_ids(policy)
    if ids:
        query = query.join(BusinessType, BusinessType.id == Shop.business_type_id).where(
            or_(BusinessType.id.in_(ids), BusinessType.parent_id.in_(ids)))
    return list(db.session.scalars(query.distinct()))


def for_merchant(user) -> list[Policy]:
    """Policies for the business types (and their families) of the merchant's shops."""
    type_ids = {s.business_type_id for s in user.shops} | {
        s.business_type.parent_id for s in user.shops if s.business_type.parent_id}
    tagged = select(policy_business_types.c.policy_id)
    query = select(Policy).where(or_(
        Policy.id.not_in(tagged),
        Policy.id.in_(tagged.where(policy_business_types.c.business_type_id.in_(type_ids or {-1})))))
    return list(db.session.scalars(query.order_by(Policy.published_at.desc())))


def visible_to(user, policy: Policy) -> bool:
    if user.role != "merchant":
        return True
    return any(p.id == policy.id for p in for_merchant(user))


def all_policies() -> list[Policy]:
    return list(db.session.scalars(select(Policy).order_by(Policy.published_at.desc())))
