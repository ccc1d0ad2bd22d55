"""Answering a seat offered from the waiting list (events/offers.py): from
the link in the mail (no log-in needed: the link's secret is the key) or
from "my registrations". Opening the link only shows the offer; the seat is
taken by the button (a mail scanner that opens links accepts nothing)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import unit_of_work
from ..database import utcnow
from ..extensions import db
from ..models.events import Registration
from ..permissions import login_required
from . import offers, registration as reg_rules
from .forms import ConfirmForm

bp = Blueprint("event_offers", __name__)

ACTIONS = ("accept", "decline")


def _answer(offer, action: str, actor=None) -> None:
    if action == "accept":
        offers.accept(offer)
        flash(_("The seat is yours. You are registered; the confirmation with your ticket is on its way "
                "by e-mail."), "success")
    else:
        offers.decline(offer, actor=actor)
        flash(_("You have declined the seat and left the waiting list."), "success")


def _page(offer, registration: Registration, form: ConfirmForm):
    """The page behind a secret link: no cache keeps it."""
    response = make_response(render_template("events/offer.html", offer=offer, registration=registration,
                                             event=registration.event, form=form, now=utcnow()))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/offers/<token>", methods=["GET", "POST"])
def respond(token: str):
    offer = offers.find_offer(token)
    if offer is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        action = request.form.get("action")
        if not form.validate_on_submit() or action not in ACTIONS:
            abort(400)
        here = unit_of_work.returns_to(url_for("event_offers.respond", token=token))
        # The link is the key; a logged-in person answering their own offer is named.
        mine = current_user.is_authenticated and current_user.id == offer.registration.user_id
        _answer(offer, action, current_user._get_current_object() if mine else None)
        return redirect(here)
    return _page(offer, offer.registration, form)


@bp.route("/registrations/<int:registration_id>/offer", methods=["GET", "POST"])
@login_required
def mine(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None or not reg_rules.can_manage_registration(current_user, registration):
        abort(404)
    offer = offers.open_offer(registration)
    form = ConfirmForm()
    if request.method == "POST":
        action = request.form.get("action")
        if not form.validate_on_submit() or action not in ACTIONS:
            abort(400)
        back = unit_of_work.returns_to(url_for("events.my_registrations"))
        user = current_user._get_current_object()
        if action == "accept":
            offers.accept_as(user, registration)
            flash(_("The seat is yours. You are registered; the confirmation with your ticket is on its way "
                    "by e-mail."), "success")
        else:
            offers.decline_as(user, registration)
            flash(_("You have declined the seat and left the waiting list."), "success")
        return redirect(back)
    return _page(offer, registration, form)
