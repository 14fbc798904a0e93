"""早餐网点 — breakfast points nearest a citizen.

Only open shops that serve breakfast and have coordinates take part. The search is a bounding-box
prefilter in SQL (it can use the lat/lng columns and stays small on a district of tens of
thousands of shops) followed by exact great-circle distances in Python; the box grows until it
holds `limit` points inside its inscribed circle, so the answer is the true nearest set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from huishang.services import DomainError
from huishang.services.core import bounding_box, district_now, for_display, haversine_m

from ..extensions import db
from ..i18n import N_
from ..models import Shop, Street
from ..models.inspections import OUTCOME_FACES

START_RADIUS_M = 1500.0
MAX_RADIUS_M = 60000.0  # beyond this the whole table is read (a district is ~10 km across)
MAX_LIMIT = 100
_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-~～—–至到]+\s*(\d{1,2})[:：](\d{2})")


@dataclass
class BreakfastPoint:
    shop: Shop
    distance_m: float
    serving_now: bool | None

    @property
    def grade(self):
        """The public face of the latest inspection: (label, emoji) or None."""
        return OUTCOME_FACES.get(self.shop.latest_outcome or "")

    def display_coords(self, crs: str) -> tuple[float, float]:
        return for_display(self.shop.lat, self.shop.lng, crs)


def parse_hours(text: str) -> list[tuple[time, time]]:
    """'06:30-09:30' (also '6:30～9:30', several ranges separated by commas) → [(start, end)].
    Unreadable text gives an empty list."""
    ranges = []
    for h1, m1, h2, m2 in _RANGE.findall(text or ""):
        try:
            ranges.append((time(int(h1), int(m1)), time(int(h2) % 24, int(m2))))
        except ValueError:
            continue
    return ranges


def serving_at(hours: str, at: datetime) -> bool | None:
    """True/False when the hours are readable, None when unknown (no or unreadable hours)."""
    ranges = parse_hours(hours)
    if not ranges:
        return None
    now = at.time()
    for start, end in ranges:
        if start <= end and start <= now < end:
            return True
        if start > end and (now >= start or now < end):  # past midnight
            return True
    return False


def validate_query(lat, lng, limit) -> tuple[float, float, int]:
    """Check and convert the query. Raises DomainError (400) naming each bad field."""
    errors: dict[str, list[str]] = {}
    values = {}
    for name, raw, low, high in (("lat", lat, -90.0, 90.0), ("lng", lng, -180.0, 180.0)):
        try:
            number = float(raw)
        except (TypeError, ValueError):
            errors[name] = [N_("必须是数字 (must be a number)")]
            continue
        if number != number or not low <= number <= high:
            errors[name] = [N_("必须在 %(low)s 到 %(high)s 之间 (out of range)", low=format(low, "g"),
                                 high=format(high, "g"))]
            continue
        values[name] = number
    try:
        count = int(limit)
        if not 1 <= count <= MAX_LIMIT:
            raise ValueError
    except (TypeError, ValueError):
        errors["limit"] = [N_("必须是 1 到 %(max)s 之间的整数", max=MAX_LIMIT)]
        count = 0
    if errors:
        raise DomainError(N_("查询参数有误 (invalid query)"), errors, status=400)
    return values["lat"], values["lng"], count


def _candidates(box: tuple[float, float, float, float] | None) -> list[tuple[int, str, float, float]]:
    """(id, code, lat, lng) of the breakfast points in the box — plain columns, no objects, so
    a dense box costs little; only the chosen few are loaded in full."""
    query = select(Shop.id, Shop.code, Shop.lat, Shop.lng).where(
        Shop.status == "open",
        Shop.serves_breakfast.is_(True),
        Shop.lat.is_not(None),
        Shop.lng.is_not(None),
    )
    if box is not None:
        min_lat, max_lat, min_lng, max_lng = box
        query = query.where(Shop.lat.between(min_lat, max_lat), Shop.lng.between(min_lng, max_lng))
    return db.session.execute(query).all()


def _ranked(lat: float, lng: float, limit: int) -> list[tuple[float, str, int]]:
    """(distance, code, id) of the `limit` nearest points, growing the box until its inscribed
    circle holds enough of them (so nothing nearer can lie outside the box)."""
    radius = START_RADIUS_M
    while True:
        box = bounding_box(lat, lng, radius) if radius <= MAX_RADIUS_M else None
        scored = sorted(
            (haversine_m(lat, lng, p_lat, p_lng), code, shop_id)
            for shop_id, code, p_lat, p_lng in _candidates(box)
        )
        if box is None:
            return scored[:limit]
        inside = [row for row in scored if row[0] <= radius]
        if len(inside) >= limit:
            return inside[:limit]
        radius *= 2


def nearest(lat: float, lng: float, limit: int = 20, *, at: datetime | None = None) -> list[BreakfastPoint]:
    """The `limit` breakfast points nearest (lat, lng), nearest first, ties by shop code."""
    at = at or district_now()
    ranked = _ranked(lat, lng, limit)
    shops = {
        shop.id: shop
        for shop in db.session.scalars(
            select(Shop)
            .options(joinedload(Shop.street), joinedload(Shop.business_type))
            .where(Shop.id.in_([shop_id for _, _, shop_id in ranked]))
        ).unique()
    }
    return [
        BreakfastPoint(shops[shop_id], round(distance, 1), serving_at(shops[shop_id].breakfast_hours, at))
        for distance, _, shop_id in ranked
    ]


def street_centre(street_name: str) -> tuple[Street, float | None, float | None] | None:
    """A street and the mean position of its located open shops (where a citizen who picks the
    street, instead of sharing a location, is assumed to be). None for an unknown street; the
    coordinates are None when the street has no located open shop."""
    street = db.session.scalar(select(Street).where(Street.name == street_name))
    if street is None:
        return None
    row = db.session.execute(
        select(func.avg(Shop.lat), func.avg(Shop.lng)).where(
            Shop.street_id == street.id, Shop.status == "open", Shop.lat.is_not(None), Shop.lng.is_not(None)
        )
    ).one()
    if row[0] is None:
        return street, None, None
    return street, float(row[0]), float(row[1])
