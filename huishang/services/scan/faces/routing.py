"""Which face a scanned code shows to whom.

`resolve()` checks a code's shape and check character first, so a mistyped or forged code costs
no database query. `face_for()` is the routing rule. `load_shop` / `load_current` load a shop with
everything a face shows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from huishang.extensions import db
from huishang.models import PlateCode, Shop
from huishang.services.registry import codes

FACES = ("citizen", "manage", "supervise")
FACE_LABELS = {"citizen": "公众", "manage": "经营管理", "supervise": "监管"}


@dataclass
class Resolution:
    """What a scanned code turned out to be.

    kind: `forged` (bad shape or check character), `unknown` (genuine-looking, not issued),
    `replaced` (an old code; `current_code` is the shop's code now), or `shop`.
    """

    kind: str
    code: str
    shop_id: int | None = None
    version: str | None = None  # changes whenever the shop row changes
    current_code: str | None = None


def resolve(raw: str) -> Resolution:
    code = codes.normalise(raw)[:32]
    if not codes.is_genuine(code):
        return Resolution("forged", code)
    row = db.session.execute(
        select(Shop.id, Shop.updated_at, Shop.plate_version).where(Shop.code == code)).first()
    if row is not None:
        return Resolution("shop", code, row.id, f"{row.updated_at.isoformat()}/{row.plate_version}")
    old = db.session.execute(
        select(PlateCode.shop_id, PlateCode.replaced_at, Shop.code)
        .join(Shop, Shop.id == PlateCode.shop_id).where(PlateCode.code == code)).first()
    if old is None:
        return Resolution("unknown", code)
    return Resolution("replaced", code, old.shop_id, current_code=old.code)


def _with_face_data(query):
    return query.options(joinedload(Shop.business_type), joinedload(Shop.street),
                         joinedload(Shop.complex), selectinload(Shop.licences))


def load_shop(shop_id: int) -> Shop:
    """The shop with what every face shows, in one round of queries (no lazy loads in templates)."""
    return db.session.scalar(_with_face_data(select(Shop).where(Shop.id == shop_id)))


def load_shops(shop_ids: list[int]) -> list[Shop]:
    """Many shops with their face data, in id order (publishing faces in batches)."""
    query = _with_face_data(select(Shop).where(Shop.id.in_(shop_ids)).order_by(Shop.id))
    return list(db.session.scalars(query.execution_options(populate_existing=True)).unique())


def version_of(shop: Shop) -> str:
    return f"{shop.updated_at.isoformat()}/{shop.plate_version}"


def load_current(raw: str) -> Shop | None:
    """The shop whose current code is `raw`, with its face data — the cache-miss path, which
    skips the separate resolve() read. None when the code is not a current shop code."""
    code = codes.normalise(raw)[:32]
    if not codes.is_genuine(code):
        return None
    return db.session.scalar(_with_face_data(select(Shop).where(Shop.code == code)))


def face_for(user, shop: Shop) -> tuple[str, str | None]:
    """(face, note). Anonymous → citizen; the shop's merchant or its complex's property manager →
    manage; staff whose streets cover the shop → supervise; staff out of scope → citizen with the
    note `out_of_scope`; any other account → citizen."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "citizen", None
    if user.owns_shop(shop) or user.manages_shop(shop):
        return "manage", None
    if user.is_staff:
        return ("supervise", None) if user.can_supervise(shop) else ("citizen", "out_of_scope")
    return "citizen", None
