"""Regulator and inspector pages: the registry."""
from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Shop, Street
from ..services import DomainError, registry
from . import bp

PER_PAGE = 30


@bp.get("/")
def registry_page():
    return registry_list()


@bp.get("/shops", endpoint="registry")
def registry_list():
    """The registry list with filters and search."""
    filters = {k: request.args.get(k, "").strip() or None
               for k in ("street", "business_type", "status", "q")}
    page = max(1, request.args.get("page", 1, type=int) or 1)
    try:
        query = registry.filter_shops(registry.scoped_shops(current_user), **filters)
    except DomainError as exc:
        query, filters["error"] = registry.scoped_shops(current_user).where(False), exc.message
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    shops = db.session.scalars(query.order_by(Shop.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    streets = db.session.scalars(select(Street).order_by(Street.position)).all()
    return render_template("admin/registry.html", shops=shops.all(), total=total, page=page,
                           per_page=PER_PAGE, filters=filters, streets=streets)
