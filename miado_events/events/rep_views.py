"""Pages for an MSO's representatives: what the MSO has booked, and
registering a person on the MSO's behalf (staff see the bookings too; they
register people from the registrant list, with the same form and service)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import unit_of_work
from ..database import paginate, utcnow
from ..extensions import db
from ..inputs import get_by_id, parse_id
from ..models.events import Event, Registration, Slot
from ..models.orgs import Organisation
from ..permissions import can_view_bookings, ensure_page, is_representative_of, login_required
from . import bookings, on_behalf, queries
from . import questions as question_services
from . import registration as reg_services
from .on_behalf_forms import PersonEntryForm, slot_choices

bp = Blueprint("rep_events", __name__)

EVENTS_PER_PAGE = 10


@bp.route("/my/organisations/<int:org_id>/bookings")
@login_required
def bookings_page(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    ensure_page(can_view_bookings, org)
    now = utcnow()
    page = paginate(bookings.booked_events(org, now), per_page=EVENTS_PER_PAGE)
    # Just registered by hand (see register_person): say so, with the ticket to print.
    added = get_by_id(Registration, request.args.get("added"))
    if added is not None and (added.organisation_id != org.id
                              or not on_behalf.can_print_ticket(current_user, added)):
        added = None
    booked = bookings.bookings_of(org, list(page.items), now)
    # The tickets this viewer may print (staff: all; a representative: the entries they made).
    printable = {r.id for b in booked for s in b.slots for r in s.confirmed
                 if on_behalf.can_print_ticket(current_user, r)}
    return render_template("events/bookings.html", org=org, page=page, added=added, booked=booked,
                           printable=printable)


def take_entry(event: Event, form: PersonEntryForm, answers, organisation: Organisation | None):
    """The POST of the person form, for staff and representatives alike:
    check the form and the answers, register through ``on_behalf``, save the
    answers. Returns the Outcome, or None after flashing why not (the page
    is then shown again, and nothing of the request is kept)."""
    valid = form.validate_on_submit()
    valid = (answers is None or answers.validate()) and valid
    slot = get_by_id(Slot, form.slot_id.data)
    if not valid:
        flash(_("Please check your input."), "error")
        return None
    if slot is None or slot.event_id != event.id:
        flash(_("Please choose a session."), "error")
        return None
    done = {}

    def add():
        outcome = on_behalf.register_on_behalf(current_user, slot, form.entry(), organisation)
        if answers is not None:
            question_services.save_answers(outcome.registration, answers)
        done["outcome"] = outcome

    if not unit_of_work.attempt(add):
        return None
    outcome = done["outcome"]
    name = outcome.registration.user.name
    if outcome.waitlist_reason:
        flash(_("%(name)s is on the waiting list (no free seat).", name=name), "info")
    else:
        flash(_("%(name)s is registered.", name=name), "success")
    return outcome


def person_form(event: Event, *, staff: bool) -> tuple[PersonEntryForm, object]:
    """The person form with the event's slots (scheduled ones) and questions."""
    slots = [s for s in event.slots if s.session is None or s.session.is_scheduled]
    form = PersonEntryForm()
    form.slot_id.choices = slot_choices(slots)
    if request.method == "GET" and request.args.get("slot"):
        form.slot_id.data = request.args.get("slot")
    # Sensitive questions (health, access needs) are the person's to answer: not asked of a representative.
    answers = (question_services.answer_form(event, viewer_is_staff=staff, include_sensitive=staff)
               if question_services.has_questions(event) else None)
    return form, answers


@bp.route("/events/<int:event_id>/register-person", methods=["GET", "POST"])
@login_required
def register_person(event_id: int):
    """A representative registers someone for their MSO: a colleague without
    an account, or anyone by name (an address of an account registers that
    account, which must be a member)."""
    event = queries.visible_event(event_id, current_user) or abort(404)
    orgs = [o for o in reg_services.active_organisations(current_user) if is_representative_of(current_user, o)]
    if not orgs:
        abort(403)
    form, answers = person_form(event, staff=False)
    form.organisation_id.choices = [(str(o.id), o.name) for o in orgs]
    if request.method == "POST":
        chosen = next((o for o in orgs if o.id == parse_id(form.organisation_id.data)), None)
        if chosen is None:
            flash(_("Please choose your organisation."), "error")
        else:
            outcome = take_entry(event, form, answers, chosen)
            if outcome is not None:
                return redirect(url_for("rep_events.bookings_page", org_id=chosen.id,
                                        added=outcome.registration.id) + "#added")
    return render_template("events/register_person.html", event=event, form=form, answers=answers,
                           staff=False, back_url=url_for("events.detail", event_id=event.id),
                           action=url_for("rep_events.register_person", event_id=event.id))
