"""The shop profile (商铺档案): the registry record, then one section per feature.

The view loads the shop (404 outside the user's streets) and asks each feature's presenter for its
section; a presenter returns what its section shows and decides from the user what that may be.
The template only renders what it is given: no query runs in it, and a missing partial is an error.
"""
from datetime import timedelta
from typing import NamedTuple

from flask import render_template
from flask_login import current_user

from huishang.services import registry

from ..extensions import db
from ..models import Shop, today
from . import bp
from .complaints import ComplaintsSection, complaints_section, shop_review_overview
from .grading import grading_panel
from .inspections import inspection_summary
from .merchants import staff_summary
from .pages import EXPIRING_DAYS, load_shop
from .plates import plate_panel
from .trail import shop_audit_events


class ProfileSections(NamedTuple):
    """The feature sections in page order. Each field is the variable that its partial
    `admin/profile/_<field>.html` reads."""

    plate: dict  # codes: the plate, its scans, whether the user may reissue
    grading: dict  # grading: the explanation; credit class and penalties for regulators only
    inspections: dict | None  # inspections: recent ones, open rectifications; None: not shown
    complaints: ComplaintsSection  # feedback: the latest complaints
    reviews: dict  # feedback: rating, held / hidden counts, latest reviews
    staff: dict | None  # merchants: staff, coverage, owners; None: no personal data for this user
    audit: list[dict]  # registry: the change history, newest first


def profile_sections(shop: Shop, user) -> ProfileSections:
    """Every feature's section of `shop`'s profile as `user` may see it."""
    return ProfileSections(
        plate=plate_panel(shop, user),
        grading=grading_panel(shop, user),
        inspections=inspection_summary(shop, user),
        complaints=complaints_section(shop, user),
        reviews=shop_review_overview(shop, user),
        staff=staff_summary(shop, user),
        audit=shop_audit_events(shop),
    )


@bp.get("/shops/<code>", endpoint="shop_profile")
def shop_profile(code: str):
    """Everything known about the shop: the record, the entity's other shops in scope, and each
    feature's section."""
    shop = load_shop(code)
    siblings = db.session.scalars(registry.scoped_shops(current_user).where(
        Shop.entity_id == shop.entity_id, Shop.id != shop.id).order_by(Shop.id).limit(20)).all()
    return render_template("admin/shop_profile.html", shop=shop, siblings=siblings, today=today(),
                           expiring_by=today() + timedelta(days=EXPIRING_DAYS),
                           can_edit=shop.can_regulate(current_user),
                           **profile_sections(shop, current_user)._asdict())
