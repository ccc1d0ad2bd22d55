"""Registering without an account (a guest): the form for one date (or a
whole series), reached from the event page. Thin: the rules live in
``events.guests``."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import unit_of_work
from ..accounts.services import normalise_email
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db, limit_from_config, limiter
from ..i18n import ui_language
from ..inputs import get_by_id
from ..models.events import Registration, Slot
from ..permissions import is_staff, require
from ..models.orgs import Organisation
from . import guests, queries, questions
from . import registration as reg_services
from .labels import waiting_list_note
from .forms import ConfirmForm
from .guest_forms import NO_ORGANISATION, GuestRegistrationForm

bp = Blueprint("guests", __name__)

#: Which form field a refusal of the service belongs to (shown next to it).
_FIELD_OF = {"name_required": "name", "name_too_long": "name", "email_required": "email",
             "email_invalid": "email", "phone_invalid": "phone", "organisation_not_listed": "organisation_id",
             "privacy_consent_required": "privacy_consent"}


def _email_key() -> str:
    """The per-address rate limit counts by the address entered (normalised)."""
    return "guest-email:" + normalise_email(request.form.get("email", ""))[:254]


def _slot(event_id: int, slot_id: int) -> Slot:
    event = queries.visible_event(event_id, current_user) or abort(404)
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404)
    return slot


def _flash_outcome(outcome) -> None:
    if outcome.waitlist_reason is None:
        flash(_("Thank you, you are registered. Your ticket and a personal link to manage your "
                "registration are on their way by e-mail."), "success")
        return
    position = reg_services.waitlist_position(outcome.registration)
    flash(" ".join((_("The event is full."), waiting_list_note(outcome.registration.event, position),
                    _("The e-mail has a personal link to manage your registration."))), "info")


@bp.route("/events/<int:event_id>/slots/<int:slot_id>/guest", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_GUEST_REGISTRATION")
@limiter.limit(lambda: current_app.config["RATELIMIT_GUEST_EMAIL"], key_func=_email_key,
               methods=["POST"])
def register(event_id: int, slot_id: int):
    slot = _slot(event_id, slot_id)
    event = slot.event
    back = url_for("events.detail", event_id=event.id)
    if current_user.is_authenticated:
        # With an account, one registers on the event page (tickets show under "My registrations").
        return redirect(back)
    now = utcnow()
    closed = None
    try:
        reg_services.check_slot_open(slot, now)
    except DomainError as err:
        closed = err.message
    form = GuestRegistrationForm(guests.organisation_choices())
    answers = questions.answer_form(event)
    if closed is None and request.method == "POST":
        valid = form.validate_on_submit()
        valid = answers.validate() and valid
        organisation = None
        if form.organisation_id.data not in (None, NO_ORGANISATION):
            # Whether it may be named (listed) is the service's rule.
            organisation = get_by_id(Organisation, form.organisation_id.data)
            if organisation is None:
                form.organisation_id.errors = [_("Please choose an organisation from the list.")]
                valid = False
        if valid:
            try:
                values = questions.read_answers(event, answers)
                outcome = guests.register_guest(
                    slot, name=form.name.data, email=form.email.data, phone=form.phone.data,
                    organisation=organisation, locale=ui_language(),
                    privacy_consent=bool(form.privacy_consent.data), now=now)
                questions.store_answers(outcome.registration, values)
            except DomainError as err:
                field = _FIELD_OF.get(err.code)
                unit_of_work.refuse(err, flash_message=field is None)
                if field is not None:
                    form[field].errors = [*form[field].errors, str(err.message)]
            else:
                _flash_outcome(outcome)
                return redirect(back)
        else:
            unit_of_work.discard()
    sessions = slot.sessions
    status = 400 if request.method == "POST" and closed is None else 200
    return render_template("events/guest_register.html", event=event, slot=slot, sessions=sessions,
                           form=form, answers=answers, closed=closed, back_url=back), status


@bp.route("/staff/registrations/<int:registration_id>/new-link", methods=["POST"])
@require(is_staff)
def new_link(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    back = unit_of_work.returns_to(url_for("staff_events.registrations", event_id=registration.event_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    guests.send_new_link(current_user, registration)
    flash(_("A new personal link is on its way to %(name)s; the old one no longer works.",
            name=registration.user.name), "success")
    return redirect(back)
