from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from .. import pagecache
from ..database import utcnow
from ..extensions import db
from . import home as home_page

bp = Blueprint("pages", __name__)


@bp.route("/")
def home():
    """What is on; for a signed-in person also their next ticket, waiting-list
    places and what waits for their answer. Visitors get the shared page."""
    now = utcnow()
    built = {}

    def render():
        built["on"] = on = home_page.what_is_on(now, current_user)
        mine = home_page.personal(current_user, now) if current_user.is_authenticated else None
        return render_template("pages/home.html", on=on, mine=mine)

    return pagecache.page(render, lambda now: home_page.valid_until(now, built["on"]))


@bp.route("/impressum")
def imprint():
    return render_template("pages/imprint.html")


@bp.route("/datenschutz")
def privacy():
    return render_template("pages/privacy.html")


@bp.route("/barrierefreiheit")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy" (the request rolls back)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
