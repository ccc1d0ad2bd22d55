"""The personal management link of a registration (a person without an
account): see the ticket, add the dates to a calendar, download one's data,
cancel, delete one's data. No log-in: the secret link is the key (only its
hash is stored; see events.guests). An unknown or revoked link is a 404 page
that says so."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from .. import unit_of_work
from ..checkin import tickets
from ..checkin.ticket_pdf import ticket_pdf
from ..database import utcnow
from ..errorpages import render_error
from ..errors import DomainError
from ..events import guests
from ..events import registration as reg_services
from ..models.guests import RegistrationLink
from . import services
from .guests import delete_guest

bp = Blueprint("manage", __name__)


class CancelForm(FlaskForm):
    pass


class DeleteDataForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my data is deleted for good and my tickets stop working."),
        validators=[DataRequired(_l("Please confirm that you want to delete your data."))])


def _private(response):
    """The page holds a secret link and a ticket: no cache keeps it."""
    response = make_response(response)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _link(token: str) -> RegistrationLink | None:
    try:
        return guests.find_link(token)
    except DomainError:
        return None


def _invalid():
    return render_error(404, _("This link is not valid (any more). A registration that was cancelled, "
                               "or whose data was deleted, can no longer be opened here. If you "
                               "registered again, use the link in the newest e-mail."))


@bp.route("/manage/<token>")
def registration(token: str):
    link = _link(token)
    if link is None:
        return _invalid()
    registration = link.registration
    return _private(render_template(
        "events/manage.html", registration=registration, token=token, now=utcnow(),
        position=reg_services.waitlist_position(registration),
        qr_src=url_for("manage.ticket_png", token=token),
        pdf_url=url_for("manage.ticket_pdf_download", token=token)))


@bp.route("/manage/<token>/ticket.png")
def ticket_png(token: str):
    link = _link(token)
    if link is None or not link.registration.is_confirmed:
        return _invalid()
    response = make_response(tickets.ticket_qr_png(link.registration))
    response.headers["Content-Type"] = "image/png"
    return _private(response)


@bp.route("/manage/<token>/ticket.pdf")
def ticket_pdf_download(token: str):
    link = _link(token)
    if link is None or not link.registration.is_confirmed:
        return _invalid()
    registration = link.registration
    response = make_response(ticket_pdf(registration))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="ticket-{registration.ticket_code}.pdf"'
    return _private(response)


@bp.route("/manage/<token>/data.json")
def export(token: str):
    link = _link(token)
    if link is None:
        return _invalid()
    body = json.dumps(services.export_data(link.registration.user), ensure_ascii=False, indent=2)
    return _private(Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="miado-events-{utcnow():%Y-%m-%d}.json"'}))


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    link = _link(token)
    if link is None:
        return _invalid()
    registration = link.registration
    form = CancelForm()
    if form.validate_on_submit():
        event_id = registration.event_id
        unit_of_work.returns_to(url_for("manage.registration", token=token))
        guests.cancel_by_link(link)
        flash(_("Your registration has been cancelled. You receive a confirmation by e-mail."), "success")
        return redirect(url_for("events.detail", event_id=event_id))
    return _private(render_template("events/manage_cancel.html", registration=registration, token=token,
                                    form=form, now=utcnow()))


@bp.route("/manage/<token>/delete", methods=["GET", "POST"])
def delete_data(token: str):
    link = _link(token)
    if link is None:
        return _invalid()
    person = link.registration.user
    form = DeleteDataForm()
    if form.validate_on_submit():
        if unit_of_work.attempt(lambda: delete_guest(person)):
            flash(_("Your data has been deleted. Thank you for taking part."), "success")
            return redirect(url_for("pages.home"))
    return _private((render_template("events/manage_delete.html", registration=link.registration,
                                     token=token, form=form, has_account=person.has_account),
                     400 if form.errors else 200))
