"""Regulated changes (变更审核): a merchant's change to the sign name, address, business type or a
licence becomes a ChangeRequest; a regulator approves it (applied through the registry) or rejects
it with a reason. Open fields (registry.MERCHANT_OPEN_FIELDS) are applied at once instead.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, ChangeRequest, Licence, Shop, utcnow
from huishang.models.scope import scoped
from huishang.services import Conflict, DomainError, registry
from huishang.services.core import audit, notifications

REGULATED_FIELDS = ("sign_name", "address", "business_type")
FIELD_LABELS = {"sign_name": "店招名称", "address": "经营地址", "business_type": "业态",
                "kind": "证照类型", "number": "证照编号", "issued_on": "发证日期",
                "expires_on": "有效期至", "image_path": "证照图片"}


def _display(shop: Shop, name: str):
    if name == "business_type":
        return shop.business_type.name
    return getattr(shop, name)


def apply_open_fields(shop: Shop, data: dict, *, actor=None) -> Shop:
    """Store information a merchant changes at once (contacts, hours, breakfast, cold chain)."""
    extra = sorted(set(data) - registry.MERCHANT_OPEN_FIELDS)
    if extra:
        raise DomainError(N_("这些字段需经监管部门审核后变更"), {f: [N_("需经审核")] for f in extra}, status=403)
    return registry.update_shop(shop, data, actor=actor)


def request_shop_change(shop: Shop, data: dict, *, actor=None, note: str = "") -> ChangeRequest:
    """File a change of regulated shop fields. Only fields that differ are kept; nothing to change
    or a second pending request for the same shop is refused."""
    extra = sorted(set(data) - set(REGULATED_FIELDS))
    if extra:
        raise DomainError(N_("不支持通过审核变更这些字段"), {f: [N_("不支持")] for f in extra})
    clean, errors = registry.validate_shop(dict(data), registry.Lookups.load(), partial=True)
    if errors:
        raise DomainError(N_("变更内容有误"), errors)
    changes, before, after = {}, {}, {}
    for name in REGULATED_FIELDS:
        if name not in data:
            continue
        if name == "business_type":
            bt = db.session.get(BusinessType, clean["business_type_id"])
            if bt.id == shop.business_type_id:
                continue
            changes[name], after[name] = bt.code, bt.name
        else:
            if clean[name] == getattr(shop, name):
                continue
            changes[name] = after[name] = clean[name]
        before[name] = _display(shop, name)
    if not changes:
        raise DomainError(N_("没有需要变更的内容"), {"_schema": [N_("填写的内容与现有信息相同")]})
    _no_pending(shop, "shop")
    cr = ChangeRequest(shop_id=shop.id, kind="shop", changes=changes, before=before, after=after,
                       note=(note or "").strip()[:1000], requested_by_id=getattr(actor, "id", None))
    db.session.add(cr)
    db.session.flush()
    audit.record("change_request.create", cr, actor=actor, before=before, after=after)
    return cr


def _no_pending(shop: Shop, kind: str, licence_id: int | None = None) -> None:
    query = select(ChangeRequest.id).where(ChangeRequest.shop_id == shop.id, ChangeRequest.kind == kind,
                                           ChangeRequest.status == "pending")
    if kind == "licence":
        query = query.where(ChangeRequest.licence_id.is_(licence_id) if licence_id is None
                            else ChangeRequest.licence_id == licence_id)
    if db.session.scalar(query):
        raise Conflict(N_("已有一项同类变更在审核中，请等待审核结果或撤回后再提交"),
                       {"_schema": [N_("已有待审核的变更")]})


def licence_request(shop: Shop, changes: dict, before: dict, after: dict, licence: Licence | None,
                    *, actor=None, note: str = "") -> ChangeRequest:
    """File a licence addition or edit (validated by services.licences)."""
    _no_pending(shop, "licence", licence.id if licence else None)
    cr = ChangeRequest(shop_id=shop.id, kind="licence", licence_id=licence.id if licence else None,
                       changes=changes, before=before, after=after, note=(note or "").strip()[:1000],
                       requested_by_id=getattr(actor, "id", None))
    db.session.add(cr)
    db.session.flush()
    audit.record("change_request.create", cr, actor=actor, before=before, after=after)
    return cr


def _pending(cr: ChangeRequest) -> None:
    if cr.status != "pending":
        raise Conflict(N_("该变更已处理"), {"status": [N_("当前状态：%(status)s", status=cr.status_label)]})


def approve(cr: ChangeRequest, *, actor=None) -> ChangeRequest:
    """Apply the change (registry.update_shop or the licence) and close the request."""
    _pending(cr)
    if cr.kind == "shop":
        registry.update_shop(cr.shop, dict(cr.changes), actor=actor)
    else:
        _apply_licence(cr, actor=actor)
    cr.status, cr.reviewed_at, cr.reviewed_by_id = "approved", utcnow(), getattr(actor, "id", None)
    db.session.flush()
    audit.record("change_request.approve", cr, actor=actor, after={"status": "approved"})
    notifications.notify(cr.shop, "change_reviewed", f"变更已通过：{cr.shop.sign_name}",
                         "您提交的信息变更已审核通过并生效。", f"/merchant/changes/{cr.id}")
    return cr


def _apply_licence(cr: ChangeRequest, *, actor=None) -> Licence:
    """A licence request approved: add or edit the licence it names."""
    values = dict(cr.changes)
    for key in ("issued_on", "expires_on"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    licence = db.session.get(Licence, cr.licence_id) if cr.licence_id else None
    fields = ("kind", "number", "issued_on", "expires_on", "image_path")
    before = audit.snapshot(licence, fields) if licence else None
    if licence is None:
        licence = Licence(shop_id=cr.shop_id)
        db.session.add(licence)
    for key, value in values.items():
        setattr(licence, key, value)
    db.session.flush()
    cr.licence_id = licence.id
    audit.record("licence.add" if before is None else "licence.update", licence, actor=actor,
                 before=before, after=audit.snapshot(licence, fields))
    registry.after_shop_change(cr.shop)
    return licence


def reject(cr: ChangeRequest, reason: str, *, actor=None) -> ChangeRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("驳回须说明理由"), {"reason": [N_("请填写驳回理由")]})
    _pending(cr)
    cr.status, cr.reason = "rejected", reason[:1000]
    cr.reviewed_at, cr.reviewed_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    audit.record("change_request.reject", cr, actor=actor, after={"status": "rejected", "reason": cr.reason})
    notifications.notify(cr.shop, "change_reviewed", f"变更被驳回：{cr.shop.sign_name}",
                         f"驳回理由：{cr.reason}", f"/merchant/changes/{cr.id}")
    return cr


def withdraw(cr: ChangeRequest, *, actor=None) -> ChangeRequest:
    _pending(cr)
    cr.status = "withdrawn"
    db.session.flush()
    audit.record("change_request.withdraw", cr, actor=actor, after={"status": "withdrawn"})
    return cr


def queue_query(user, status: str = "pending"):
    """A SELECT of the change requests of shops in the regulator's streets."""
    query = select(ChangeRequest).join(Shop, ChangeRequest.shop_id == Shop.id).where(
        ChangeRequest.status == status)
    return scoped(query, user, Shop.street_id)


def queue(user, status: str = "pending", limit: int = 200):
    """Change requests of shops in the regulator's streets: pending oldest first, else newest."""
    order = ChangeRequest.created_at.asc() if status == "pending" else ChangeRequest.reviewed_at.desc()
    return list(db.session.scalars(queue_query(user, status).order_by(order).limit(limit)))


def for_shops(shop_ids) -> list[ChangeRequest]:
    return list(db.session.scalars(select(ChangeRequest).where(ChangeRequest.shop_id.in_(shop_ids or [-1]))
                                   .order_by(ChangeRequest.created_at.desc()).limit(100)))
