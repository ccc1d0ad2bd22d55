"""Public calendar, event pages, registration and "my registrations"."""
from __future__ import annotations

import calendar as pycalendar
from datetime import date, time, timedelta
from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from sqlalchemy import func, select

from .. import pagecache, unit_of_work
from ..database import paginate, utcnow
from ..extensions import db
from ..inputs import get_by_id, parse_id_pair
from ..models.accounts import User
from ..models.events import Event, Registration, Slot
from ..models.orgs import DISTRICTS, LANGUAGE_CODES, Organisation
from ..orgs.labels import language_name
from ..permissions import is_representative_of, is_staff, login_required
from ..timeutil import local_to_utc, to_local
from . import offers, queries, registration as reg_services
from . import questions as question_services
from .forms import ConfirmForm, RegisterForm, RegisterMemberForm
from .labels import KIND_LABELS, template_helpers, waiting_list_note

bp = Blueprint("events", __name__)
bp.app_context_processor(template_helpers)

PER_PAGE = 30


def _filters() -> dict:
    args = request.args
    return {
        "kind": args.get("kind") if args.get("kind") in KIND_LABELS else "",
        "language": args.get("language") if args.get("language") in LANGUAGE_CODES else "",
        "district": args.get("district") if args.get("district") in DISTRICTS else "",
        "q": " ".join((args.get("q") or "").split())[:100],
    }


def _filter_choices() -> dict:
    return {"kinds": list(KIND_LABELS.items()), "districts": [(d, d) for d in DISTRICTS],
            "languages": sorted(((c, language_name(c)) for c in LANGUAGE_CODES),
                                key=lambda p: p[1].casefold())}


@bp.route("/calendar")
def calendar():
    now = utcnow()
    filters = _filters()
    built = {}  # what render() found, for valid_until()

    def render():
        built["query"] = query = queries.upcoming_sessions(now, **filters)
        page = paginate(query, per_page=PER_PAGE)
        built["shown"] = page.items
        months = [(label, list(items)) for label, items in groupby(
            page.items, key=lambda s: format_date(to_local(s.starts_at), "LLLL yyyy"))]
        active = {k: v for k, v in filters.items() if v}
        return render_template("events/calendar.html", page=page, months=months, filters=filters,
                               active_filters=active, states=queries.seat_states(page.items, now, current_user),
                               today=to_local(now).date(), **_filter_choices())

    def valid_until(now):
        # The list changes when any matching session ends, even one on another page.
        listed = built["query"].order_by(None).subquery()
        first_end = db.session.scalar(select(func.min(listed.c.ends_at)))
        return queries.valid_until(now, built["shown"], first_end)

    return pagecache.page(render, valid_until)


@bp.route("/calendar/<int:year>/<int:month>")
def month(year: int, month: int):
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(404)
    filters = _filters()
    first = date(year, month, 1)
    last_day = pycalendar.monthrange(year, month)[1]
    start_utc = local_to_utc(first, time(0, 0))
    end_utc = local_to_utc(first + timedelta(days=last_day), time(0, 0))
    sessions = db.session.scalars(queries.upcoming_sessions(
        start_utc, since=start_utc, until=end_utc, **filters)).all()
    by_day: dict[date, list] = {}
    for session in sessions:
        by_day.setdefault(to_local(session.starts_at).date(), []).append(session)
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = first + timedelta(days=last_day)
    return render_template("events/month.html", weeks=weeks, by_day=by_day, first=first,
                           prev_month=prev_month, next_month=next_month, filters=filters,
                           active_filters={k: v for k, v in filters.items() if v},
                           today=to_local(utcnow()).date(), **_filter_choices())


def _visible_event(event_id: int, options=()) -> Event:
    return queries.visible_event(event_id, current_user, options) or abort(404)


@bp.route("/events/<int:event_id>")
def detail(event_id: int):
    return pagecache.page(lambda: _detail(event_id),
                          lambda now: queries.valid_until(now, db.session.get(Event, event_id).sessions),
                          pagecache.for_event(event_id))


def _detail(event_id: int) -> str:
    # Sessions with their venues and the slots in three statements, however
    # many sessions (and venues) the event has.
    event = _visible_event(event_id, options=queries.EVENT_PAGE_OPTIONS)
    now = utcnow()
    sessions = event.sessions
    states = queries.seat_states(sessions, now, current_user)
    orgs = reg_services.active_organisations(current_user) if current_user.is_authenticated else []
    form = RegisterForm()
    form.organisation_id.choices = [(str(o.id), o.name) for o in orgs]
    rep_orgs = [o for o in orgs if is_representative_of(current_user, o)]
    member_form = None
    if rep_orgs:
        member_form = RegisterMemberForm()
        member_form.member.choices = [
            (f"{m.organisation_id}:{m.user_id}", f"{m.user.name} ({m.organisation.name})")
            for m in db.session.scalars(queries.colleagues_to_register(current_user, rep_orgs))]
    whole_slot = next((s for s in event.slots if s.session_id is None), None)
    return render_template("events/detail.html", event=event, sessions=sessions, states=states,
                           form=form, member_form=member_form, whole_slot=whole_slot,
                           slot_of=queries.slot_for,
                           whole_state=states.get(sessions[0].id) if whole_slot and sessions else None)


def _slot_of_event(event: Event, slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404)
    return slot


def _flash_outcome(outcome, name: str | None = None) -> None:
    if outcome.waitlist_reason is None:
        flash(_("%(name)s is registered. A confirmation is on its way by e-mail.", name=name) if name
              else _("You are registered. A confirmation is on its way by e-mail."), "success")
        return
    position = reg_services.waitlist_position(outcome.registration)
    if outcome.waitlist_reason == "org_quota_reached":
        reason = _("Your organisation has already used all the seats it may have for this event.")
    else:
        reason = _("The event is full.")
    flash(reason + " " + waiting_list_note(outcome.registration.event, position), "info")


@bp.route("/events/<int:event_id>/slots/<int:slot_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int, slot_id: int):
    """Register oneself. When the event asks questions, they come first, on
    a page of their own; the seat is taken only with acceptable answers."""
    event = _visible_event(event_id)
    slot = _slot_of_event(event, slot_id)
    back = url_for("events.detail", event_id=event.id)
    form = RegisterForm()
    asks = question_services.has_questions(event)
    answers = question_services.answer_form(event) if asks else None
    # From the event page's button (or a link) the questions page comes first;
    # its own form says it is answering them.
    answering = request.method == "POST" and request.form.get("answering") == "1"
    if asks and (not answering or not answers.validate()):
        if not answering:
            answers = question_services.answer_form(event, formdata=MultiDict())
        form.organisation_id.choices = [(str(o.id), o.name)
                                        for o in reg_services.active_organisations(current_user)]
        return render_template("events/register_questions.html", event=event, slot=slot, form=form,
                               answers=answers)
    if request.method == "GET":
        return redirect(back)
    if not form.validate_on_submit():
        abort(400)
    unit_of_work.returns_to(back)
    outcome = reg_services.register_participant(
        current_user, current_user, slot, get_by_id(Organisation, request.form.get("organisation_id")))
    if asks:
        question_services.save_answers(outcome.registration, answers)
    _flash_outcome(outcome)
    return redirect(back)


@bp.route("/events/<int:event_id>/slots/<int:slot_id>/register-member", methods=["POST"])
@login_required
def register_member(event_id: int, slot_id: int):
    event = _visible_event(event_id)
    slot = _slot_of_event(event, slot_id)
    if not RegisterMemberForm().validate_on_submit():
        abort(400)
    org_id, user_id = parse_id_pair(request.form.get("member")) or (None, None)
    participant, org = get_by_id(User, user_id), get_by_id(Organisation, org_id)
    if participant is None or org is None:
        flash(_("Please choose a member."), "error")
        return redirect(url_for("events.detail", event_id=event.id))
    unit_of_work.returns_to(url_for("events.detail", event_id=event.id))
    outcome = reg_services.register_participant(current_user, participant, slot, org)
    _flash_outcome(outcome, participant.name)
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/my/registrations")
@login_required
def my_registrations():
    now = utcnow()
    registrations = db.session.scalars(queries.my_registrations(current_user)).all()
    upcoming = [r for r in registrations if r.is_upcoming(now)]
    past = [r for r in registrations if r not in upcoming]
    positions = queries.waitlist_positions(upcoming)
    return render_template("events/my_registrations.html", upcoming=upcoming, past=past,
                           positions=positions, now=now,
                           offers=offers.open_offers_by_registration(r.id for r in upcoming),
                           asked=question_services.events_with_questions(r.event_id for r in upcoming),
                           my_answers=question_services.own_answers([r.id for r in upcoming]))


def _registration_for(actor, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or not reg_services.can_manage_registration(actor, registration):
        abort(404)
    return registration


@bp.route("/registrations/<int:registration_id>/answers", methods=["GET", "POST"])
@login_required
def answers(registration_id: int):
    """Change the answers to the event's questions until the event is over."""
    registration = _registration_for(current_user, registration_id)
    if not (is_staff(current_user) or registration.user_id == current_user.id):
        abort(404)  # a representative never sees a colleague's (possibly sensitive) answers
    back = (url_for("staff_events.registrations", event_id=registration.event_id)
            if request.args.get("back") == "staff" and is_staff(current_user)
            else url_for("events.my_registrations"))
    if not registration.is_upcoming(utcnow()) or not question_services.has_questions(registration.event):
        return redirect(back)
    form = ConfirmForm()
    answers_form = question_services.answer_form(registration.event, registration=registration,
                                                 viewer_is_staff=is_staff(current_user))
    if form.validate_on_submit() and answers_form.validate():
        unit_of_work.returns_to(back)
        question_services.save_answers(registration, answers_form)
        flash(_("The answers have been saved."), "success")
        return redirect(back)
    return render_template("events/answers.html", registration=registration, form=form,
                           answers=answers_form, back_url=back)


@bp.route("/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(registration_id: int):
    registration = _registration_for(current_user, registration_id)
    form = ConfirmForm()
    back = request.args.get("back") == "staff" and is_staff(current_user)
    target = (url_for("staff_events.registrations", event_id=registration.event_id) if back
              else url_for("events.my_registrations"))
    if request.method == "POST" and form.validate_on_submit():
        unit_of_work.returns_to(target)
        reg_services.cancel_registration(current_user, registration)
        flash(_("The registration has been cancelled."), "success")
        return redirect(target)
    return render_template("events/cancel.html", registration=registration, form=form,
                           back_url=target, now=utcnow())
