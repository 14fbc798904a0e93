"""Merchant pages."""
from flask import render_template
from flask_login import current_user

from . import bp


@bp.get("/")
def home():
    return render_template("merchant/home.html", shops=current_user.shops)
