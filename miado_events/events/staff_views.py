"""Staff pages: events, sessions, recurrence, venues, registrant lists."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..database import paginate, utcnow
from ..errors import DomainError
from ..extensions import db
from ..inputs import get_by_id
from ..models.events import Event, EventSession, Registration, Slot, Venue
from ..models.orgs import Organisation
from ..orgs.queries import listed_organisations
from ..models.questions import RegistrationQuestion
from ..models.replies import answers_by_registration
from ..models.translated import translations_from_form
from ..permissions import is_staff, require
from .. import unit_of_work
from . import offers, queries, services
from . import questions as question_services
from . import question_editor
from . import registration as reg_services
from .on_behalf_forms import NO_ORGANISATION
from .rep_views import person_form, take_entry
from .forms import (
    ConfirmForm,
    DeleteQuestionForm,
    EventForm,
    QuestionForm,
    RecurrenceForm,
    SessionForm,
    VenueForm,
)
from .labels import EVENT_STATUS_LABELS

bp = Blueprint("staff_events", __name__)

PER_PAGE = 25


def _venues():
    return db.session.scalars(select(Venue).order_by(Venue.name)).all()


def _event_or_404(event_id: int) -> Event:
    return db.session.get(Event, event_id) or abort(404)


@bp.route("/events")
@require(is_staff)
def events():
    status = request.args.get("status") or ""
    if status not in EVENT_STATUS_LABELS:
        status = ""
    page = paginate(queries.staff_events(utcnow(), status), per_page=PER_PAGE)
    return render_template("events/staff/list.html", page=page, status=status,
                           statuses=EVENT_STATUS_LABELS)


@bp.route("/events/new", methods=["GET", "POST"])
@require(is_staff)
def new_event():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = services.create_event(current_user, form.to_data())
            services.save_translations(current_user, event, translations_from_form(request.form, Event.TRANSLATED_FIELDS))
        except DomainError as err:
            unit_of_work.refuse(err)
        else:
            flash(_("The event has been created as a draft. Add its sessions, then publish it."), "success")
            return redirect(url_for("staff_events.manage", event_id=event.id))
    return render_template("events/staff/event_form.html", form=form, event=None)


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
@require(is_staff)
def manage(event_id: int):
    event = _event_or_404(event_id)
    form = EventForm()
    if request.method == "GET":
        form.fill_from(event)
    elif form.validate_on_submit():
        def save():
            services.update_event(current_user, event, form.to_data())
            services.save_translations(current_user, event, translations_from_form(request.form, Event.TRANSLATED_FIELDS))

        if unit_of_work.attempt(save, _("The event has been saved.")):
            return redirect(url_for("staff_events.manage", event_id=event.id))
    venues = _venues()
    return render_template("events/staff/manage.html", event=event, form=form,
                           session_form=SessionForm(venues=venues),
                           recurrence_form=RecurrenceForm(venues=venues), confirm=ConfirmForm(),
                           statuses=EVENT_STATUS_LABELS)


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@require(is_staff)
def publish(event_id: int):
    event = _event_or_404(event_id)
    if ConfirmForm().validate_on_submit() and unit_of_work.attempt(
            lambda: services.publish_event(current_user, event), _("The event is published.")):
        # The page then offers to announce it to the MSOs (nothing is sent by itself).
        return redirect(url_for("staff_events.manage", event_id=event.id, announce=1))
    return redirect(url_for("staff_events.manage", event_id=event.id))


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@require(is_staff)
def cancel_event(event_id: int):
    event = _event_or_404(event_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        unit_of_work.attempt(lambda: services.cancel_event(current_user, event),
             _("The event has been cancelled. Everyone registered has been told."))
        return redirect(url_for("staff_events.manage", event_id=event.id))
    affected = sum(1 for r in db.session.scalars(queries.registrations_of_event(event)) if r.is_active)
    return render_template("events/staff/confirm_cancel.html", event=event, form=form, affected=affected)


@bp.route("/events/<int:event_id>/sessions", methods=["POST"])
@require(is_staff)
def add_session(event_id: int):
    event = _event_or_404(event_id)
    form = SessionForm(venues=_venues())
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: services.add_session(current_user, event, form.to_data()), _("The session has been added."))
    else:
        _flash_form_errors(form)
    return redirect(url_for("staff_events.manage", event_id=event.id))


@bp.route("/events/<int:event_id>/sessions/recurring", methods=["POST"])
@require(is_staff)
def add_recurring(event_id: int):
    event = _event_or_404(event_id)
    form = RecurrenceForm(venues=_venues())
    if not form.validate_on_submit():
        _flash_form_errors(form)
    elif request.form.get("confirm") != "1":
        # First the dates it would create; a second press creates them.
        unit_of_work.returns_to(url_for("staff_events.manage", event_id=event.id))
        days = services.recurring_session_days(current_user, event, form.to_data())
        # The rule travels to the confirm button as it was typed (the form's own fields; CSRF anew).
        kept = [(f.name, request.form.get(f.name, "")) for f in form if f.name != "csrf_token"]
        return render_template("events/staff/recurring_preview.html", event=event, form=form,
                               days=days, kept=kept)
    else:
        unit_of_work.attempt(lambda: services.create_recurring_sessions(current_user, event, form.to_data()),
             _("The meetings have been added."))
    return redirect(url_for("staff_events.manage", event_id=event.id))


def _flash_form_errors(form) -> None:
    for field_name, errors in form.errors.items():
        label = getattr(form, field_name).label.text if hasattr(form, field_name) else ""
        for error in errors:
            flash(f"{label}: {error}" if label else error, "error")


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@require(is_staff)
def edit_session(session_id: int):
    session = db.session.get(EventSession, session_id) or abort(404)
    form = SessionForm(venues=_venues())
    if request.method == "GET":
        form.fill_from(session)
    elif form.validate_on_submit():
        if unit_of_work.attempt(lambda: services.update_session(current_user, session, form.to_data(),
                                                following=bool(form.following.data)),
                _("The session has been saved. Everyone registered has been told about changes.")):
            return redirect(url_for("staff_events.manage", event_id=session.event_id))
    return render_template("events/staff/session_form.html", form=form, event_session=session)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@require(is_staff)
def cancel_session(session_id: int):
    session = db.session.get(EventSession, session_id) or abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        unit_of_work.attempt(lambda: services.cancel_session(current_user, session),
             _("The session has been cancelled. Everyone registered has been told."))
        return redirect(url_for("staff_events.manage", event_id=session.event_id))
    return render_template("events/staff/confirm_cancel.html", event=session.event,
                           event_session=session, form=form, affected=None)


@bp.route("/events/<int:event_id>/registrations")
@require(is_staff)
def registrations(event_id: int):
    event = _event_or_404(event_id)
    rows = db.session.scalars(queries.registrations_of_event(event)).all()
    by_slot: dict[int, dict] = {}
    for r in rows:
        group = by_slot.setdefault(r.slot_id, {"slot": r.slot, "confirmed": [], "waitlisted": [], "cancelled": []})
        group[r.status].append(r)
    for slot in event.slots:
        by_slot.setdefault(slot.id, {"slot": slot, "confirmed": [], "waitlisted": [], "cancelled": []})
    groups = sorted(by_slot.values(), key=lambda g: (g["slot"].starts_at is None, g["slot"].starts_at or 0))
    # Just added by hand (events.on_behalf): say so, with the ticket to print.
    added = get_by_id(Registration, request.args.get("added"))
    if added is not None and added.event_id != event.id:
        added = None
    return render_template("events/staff/registrations.html", event=event, groups=groups, added=added,
                           confirm=ConfirmForm(), slot_label=_slot_label,
                           answers=answers_by_registration(r.id for r in rows),
                           offers=offers.open_offers_by_registration(r.id for r in rows if r.is_waitlisted),
                           question_answers=(question_services.answers_for(rows, viewer=current_user)
                                             if question_services.has_questions(event) else None))


def _slot_label(slot: Slot) -> str:
    from flask_babel import format_datetime

    if slot.session is None:
        return _("Whole series")
    return format_datetime(slot.session.starts_at, "short")


@bp.route("/events/<int:event_id>/registrations/add", methods=["GET", "POST"])
@require(is_staff)
def add_registration(event_id: int):
    """Staff register someone (on the phone, at the desk): a name is enough."""
    event = _event_or_404(event_id)
    form, answers = person_form(event, staff=True)
    form.organisation_id.choices = [(NO_ORGANISATION, _("No organisation"))] + [
        (str(o.id), o.name) for o in db.session.scalars(listed_organisations())]
    if request.method == "POST":
        chosen = form.organisation_id.data or NO_ORGANISATION
        organisation = get_by_id(Organisation, chosen) if chosen != NO_ORGANISATION else None
        if chosen != NO_ORGANISATION and (organisation is None or not organisation.is_listed):
            flash(_("Please choose an organisation from the list."), "error")
            outcome = None
        else:
            outcome = take_entry(event, form, answers, organisation)
        if outcome is not None:
            return redirect(url_for("staff_events.registrations", event_id=event.id,
                                    added=outcome.registration.id) + "#added")
    return render_template("events/register_person.html", event=event, form=form, answers=answers,
                           staff=True, back_url=url_for("staff_events.registrations", event_id=event.id),
                           action=url_for("staff_events.add_registration", event_id=event.id))


@bp.route("/registrations/<int:registration_id>/promote", methods=["POST"])
@require(is_staff)
def promote(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: reg_services.promote_by_hand(current_user, registration),
             _("%(name)s now has a seat.", name=registration.user.name))
    return redirect(url_for("staff_events.registrations", event_id=registration.event_id))


# --- venues ---------------------------------------------------------------------------------

@bp.route("/venues")
@require(is_staff)
def venues():
    return render_template("events/staff/venues.html", venues=_venues())


@bp.route("/venues/new", methods=["GET", "POST"])
@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@require(is_staff)
def edit_venue(venue_id: int | None = None):
    venue = (db.session.get(Venue, venue_id) or abort(404)) if venue_id else None
    form = VenueForm(obj=venue)
    if form.validate_on_submit():
        def save():
            saved = services.save_venue(current_user, form.to_data(), venue)
            services.save_translations(current_user, saved, translations_from_form(request.form, Venue.TRANSLATED_FIELDS))

        if unit_of_work.attempt(save, _("The venue has been saved.")):
            return redirect(url_for("staff_events.venues"))
    return render_template("events/staff/venue_form.html", form=form, venue=venue)


@bp.route("/events/<int:event_id>/broadcast", methods=["GET", "POST"])
@require(is_staff)
def broadcast(event_id: int):
    from .broadcast import broadcast as send_broadcast
    from .broadcast import recipients
    from .forms import BroadcastForm

    event = _event_or_404(event_id)
    form = BroadcastForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("send") == "1":
            sent = {}

            def queue():
                sent["n"] = send_broadcast(current_user, event, subject=form.subject.data,
                                           body=form.body.data, audience=form.audience.data)

            if unit_of_work.attempt(queue):
                flash(_("The message is on its way to %(n)d people.", n=sent["n"]), "success")
                return redirect(url_for("staff_events.registrations", event_id=event.id))
        else:
            preview = {"count": len(recipients(event, form.audience.data or [])),
                       "subject": form.subject.data, "body": form.body.data}
    return render_template("events/staff/broadcast.html", event=event, form=form, preview=preview)


# --- registration questions ---------------------------------------------------------------------

def _question_or_404(question_id: int):
    return db.session.get(RegistrationQuestion, question_id) or abort(404)


@bp.route("/events/<int:event_id>/questions")
@require(is_staff)
def questions(event_id: int):
    event = _event_or_404(event_id)
    listed = question_services.questions_for(event)
    counts = {q.id: question_editor.answer_count(q) for q in listed}
    return render_template("staff/event_questions.html", event=event, questions=listed, counts=counts,
                           templates=question_editor.TEMPLATES, confirm=ConfirmForm())


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
@require(is_staff)
def new_question(event_id: int):
    event = _event_or_404(event_id)
    form = QuestionForm()
    if form.validate_on_submit():
        if unit_of_work.attempt(lambda: question_editor.add_question(current_user, event, form.to_data()),
                                _("The question has been added.")):
            return redirect(url_for("staff_events.questions", event_id=event.id))
    return render_template("staff/question_form.html", event=event, form=form, question=None)


@bp.route("/events/<int:event_id>/questions/template", methods=["POST"])
@require(is_staff)
def question_template(event_id: int):
    event = _event_or_404(event_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: question_editor.add_from_template(
            current_user, event, request.form.get("template", "")), _("The question has been added."))
    return redirect(url_for("staff_events.questions", event_id=event.id))


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@require(is_staff)
def edit_question(question_id: int):
    question = _question_or_404(question_id)
    form = QuestionForm()
    if request.method == "GET":
        form.fill_from(question)
    elif form.validate_on_submit():
        if unit_of_work.attempt(lambda: question_editor.update_question(current_user, question, form.to_data()),
                                _("The question has been saved.")):
            return redirect(url_for("staff_events.questions", event_id=question.event_id))
    return render_template("staff/question_form.html", event=question.event, form=form, question=question,
                           answered=question_editor.answer_count(question))


@bp.route("/questions/<int:question_id>/move", methods=["POST"])
@require(is_staff)
def move_question(question_id: int):
    question = _question_or_404(question_id)
    if ConfirmForm().validate_on_submit():
        step = -1 if request.form.get("direction") == "up" else 1
        question_editor.move_question(current_user, question, step)
    return redirect(url_for("staff_events.questions", event_id=question.event_id) + f"#question-{question.id}")


@bp.route("/questions/<int:question_id>/delete", methods=["GET", "POST"])
@require(is_staff)
def delete_question(question_id: int):
    question = _question_or_404(question_id)
    event_id = question.event_id
    form = DeleteQuestionForm()
    answered = question_editor.answer_count(question)
    if request.method == "POST" and form.validate_on_submit():
        if unit_of_work.attempt(lambda: question_editor.delete_question(
                current_user, question, delete_answers_too=bool(form.with_answers.data)),
                _("The question has been deleted.")):
            return redirect(url_for("staff_events.questions", event_id=event_id))
        answered = question_editor.answer_count(question)
    return render_template("staff/question_delete.html", event=question.event, question=question,
                           form=form, answered=answered)
