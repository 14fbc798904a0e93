"""Public pages."""
from flask import render_template

from . import bp


@bp.get("/home")
def home():
    return render_template("citizen/home.html")
