"""Pages for an MSO's representatives: what the MSO has booked, and
registering a person on the MSO's behalf (staff see the same pages)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..database import paginate, utcnow
from ..extensions import db
from ..models.orgs import Organisation
from ..permissions import can_view_bookings, ensure_page, login_required
from . import bookings

bp = Blueprint("rep_events", __name__)

EVENTS_PER_PAGE = 10


@bp.route("/my/organisations/<int:org_id>/bookings")
@login_required
def bookings_page(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    ensure_page(can_view_bookings, org)
    now = utcnow()
    page = paginate(bookings.booked_events(org, now), per_page=EVENTS_PER_PAGE)
    return render_template("events/bookings.html", org=org, page=page,
                           booked=bookings.bookings_of(org, list(page.items), now))
