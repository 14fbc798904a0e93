"""Property-manager pages."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Shop
from . import bp


@bp.get("/")
def home():
    shops = db.session.scalars(select(Shop).where(Shop.complex_id == current_user.complex_id)
                               .order_by(Shop.sign_name)).all()
    return render_template("property/home.html", complex=current_user.complex, shops=shops)
