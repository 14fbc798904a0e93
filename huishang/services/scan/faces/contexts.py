"""What the faces show beyond the shop's own record: the public licence state, and the data of
the signed-in faces (management and supervision)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Rectification, Shop, today


def licence_state(shop: Shop, on: date | None = None) -> str:
    """`valid`, `expired` or `none` — the public sees only this, never numbers."""
    if not shop.licences:
        return "none"
    return "valid" if shop.licences_valid(on) else "expired"


# -- what the signed-in faces show -----------------------------------------------------------

def open_rectifications(shop: Shop) -> list:
    return list(db.session.scalars(select(Rectification).where(
        Rectification.shop_id == shop.id, Rectification.closed_on.is_(None))
        .order_by(Rectification.deadline)))


def manage_context(shop: Shop) -> dict:
    """The management face: the shop's own record, licences in full, open rectifications."""
    return {"licence_state": licence_state(shop), "rectifications": open_rectifications(shop),
            "today": today()}


def supervise_context(shop: Shop) -> dict:
    """The supervision face's own facts: licences, open rectifications, today (for the next due
    date). Its grading, inspections and complaints sections come from their features' presenters
    (citizen.scan.present_supervise)."""
    return {"licence_state": licence_state(shop), "rectifications": open_rectifications(shop),
            "today": today()}
