from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("pages", __name__)


@bp.route("/")
def home():
    return render_template("pages/home.html")


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
