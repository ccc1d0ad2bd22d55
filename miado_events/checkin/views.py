"""Tickets, the door scanner (HTML that works without JavaScript, plus the
JSON API the offline scanner script uses), self check-in and certificates."""
from __future__ import annotations

import hashlib
import json
import os

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from .. import unit_of_work
from ..database import utcnow
from ..errors import DomainError
from ..events.on_behalf import can_print_ticket
from ..extensions import db
from ..inputs import get_by_id
from ..models.accounts import User
from ..models.checkin import Certificate, CheckInMethod, CheckinScan
from ..models.events import Event, EventSession, Registration
from ..models.orgs import Organisation
from ..permissions import ensure_page, is_door_staff, is_staff, login_required, require
from . import certificates, door_lists, ledger, services, tickets, walkins
from .self_checkin import self_check_in, self_checkin_code, self_checkin_code_valid
from .forms import CheckInForm, DoorStaffForm, ReviewForm, RevokeForm, SelfCheckInForm, UndoForm, WalkInForm
from .ticket_pdf import ticket_pdf

bp = Blueprint("checkin", __name__)


def _session_for_door(session_id: int) -> EventSession:
    """The session, if the current user may run its door (404 / 403 otherwise)."""
    session = db.session.get(EventSession, session_id) or abort(404)
    ensure_page(services.can_check_in_for, session.event)
    return session


def _own_registration(registration_id: int) -> Registration:
    """A registration its person (or staff) may see; 404 for everyone else,
    so that ids reveal nothing."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not (registration.user_id == current_user.id or is_staff(current_user)):
        abort(404)
    return registration


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- tickets --------------------------------------------------------------------------

@bp.route("/my/registrations/<int:registration_id>/ticket")
@login_required
def ticket(registration_id: int):
    registration = _own_registration(registration_id)
    return render_template("checkin/ticket.html", registration=registration,
                           ticket_url=tickets.ticket_url(registration) if registration.is_confirmed else None)


def _valid_ticket(registration_id: int) -> Registration:
    """Only a confirmed registration has a ticket to show."""
    registration = _own_registration(registration_id)
    if not registration.is_confirmed:
        abort(404)
    return registration


def _png_response(data: bytes):
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/my/registrations/<int:registration_id>/ticket.png")
@login_required
def ticket_png(registration_id: int):
    registration = _valid_ticket(registration_id)
    return _png_response(tickets.ticket_qr_png(registration))


@bp.route("/my/registrations/<int:registration_id>/ticket.pdf")
@login_required
def ticket_pdf_download(registration_id: int):
    """The printable ticket: for the person, staff, and the representative who
    registered the person (someone without an e-mail address gets it on paper)."""
    registration = db.session.get(Registration, registration_id)
    if (registration is None or not registration.is_confirmed
            or not can_print_ticket(current_user, registration)):
        abort(404)
    return _pdf_response(ticket_pdf(registration), f"ticket-{registration.ticket_code}.pdf")


@bp.route("/t/<payload>")
def ticket_link(payload: str):
    """Where a ticket's QR code points. Door staff scanning it with the
    phone's own camera land here and can check the person in; anyone else
    learns only that it is a ticket (no personal data)."""
    kind, token = tickets.parse_scan("/t/" + payload)
    registration = services.find_by_token(token) if kind == "token" else None
    if registration is None:
        return render_template("checkin/ticket_link.html", registration=None, valid=False), 404
    if is_door_staff(current_user) and services.can_check_in_for(current_user, registration.event):
        sessions = [s for s in services.door_sessions(current_user) if s.event_id == registration.event_id]
        return render_template("checkin/ticket_link.html", registration=registration, valid=True,
                               sessions=sessions, form=CheckInForm(), door=True)
    if current_user.is_authenticated and current_user.id == registration.user_id:
        return redirect(url_for("checkin.ticket", registration_id=registration.id))
    return render_template("checkin/ticket_link.html", registration=None, valid=True, door=False)


# --- the door ---------------------------------------------------------------------------

@bp.route("/door/")
@require(is_door_staff)
def door():
    now = utcnow()
    sessions = services.door_sessions(current_user, now, days=1)
    return render_template("checkin/door.html", sessions=sessions, now=now,
                           window_state=services.window_state)


def _door_context(session: EventSession, **extra) -> dict:
    query = request.args.get("q", "")
    walk_in = WalkInForm(prefix="walkin")
    walk_in.organisation_id.choices = [("", _("— none —"))] + [
        (str(o.id), o.name) for o in db.session.scalars(
            select(Organisation).where(Organisation.status == "listed").order_by(Organisation.name))]
    return {
        "event_session": session, "event": session.event, "query": query,
        "matches": door_lists.search(session, query) if query else [],
        "counts": door_lists.counts(session), "recent": door_lists.recent_checkins(session),
        "window": services.checkin_window(session),
        "window_state": services.window_state(session, utcnow()),
        "form": CheckInForm(), "undo_form": UndoForm(), "walk_in": walk_in,
        "public_key": tickets.public_key_b64(), "code_rules": tickets.scanner_code_rules(), **extra,
    }


@bp.route("/door/sessions/<int:session_id>")
@require(is_door_staff)
def scanner(session_id: int):
    session = _session_for_door(session_id)
    return render_template("checkin/scanner.html", **_door_context(session))


def _show_result(session: EventSession, result: services.Result):
    """After a form post (no JavaScript): the answer on the scanner page."""
    return render_template("checkin/scanner.html", result=result, **_door_context(session))


def _after(session: EventSession, action):
    """Run a door action and show its answer on the scanner page; a rule that
    says no is shown there too, and the request is rolled back."""
    try:
        result = action()
    except DomainError as err:
        unit_of_work.discard()
        result = services.Result(err.code, services.RED, str(err.message))
    return _show_result(session, result)


@bp.route("/door/sessions/<int:session_id>/checkin", methods=["POST"])
@require(is_door_staff)
def manual_checkin(session_id: int):
    session = _session_for_door(session_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        abort(400)
    override = bool(form.override.data)  # the service lets only staff override
    if form.registration_id.data:
        return _after(session, lambda: services.check_in_registration_id(
            current_user, session, form.registration_id.data, override=override))
    if form.code.data:
        return _after(session, lambda: services.check_in_scanned(
            current_user, session, form.code.data, method=CheckInMethod.MANUAL, override=override))
    return _show_result(session, services.Result("empty", services.AMBER,
                                                 _("Please enter a ticket code or search for a name.")))


@bp.route("/door/sessions/<int:session_id>/undo", methods=["POST"])
@require(is_door_staff)
def undo(session_id: int):
    session = _session_for_door(session_id)
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    registration = services.door_registration(session, form.registration_id.data)
    if registration is None:
        abort(404)
    return _after(session, lambda: services.undo(current_user, session, registration))


@bp.route("/door/sessions/<int:session_id>/walk-in", methods=["POST"])
@require(is_door_staff)
def walk_in(session_id: int):
    session = _session_for_door(session_id)
    form = WalkInForm(prefix="walkin")
    if not form.validate_on_submit():
        ctx = _door_context(session)
        form.organisation_id.choices = ctx["walk_in"].organisation_id.choices
        ctx["walk_in"] = form
        return render_template("checkin/scanner.html", walk_in_open=True, **ctx), 422
    org = get_by_id(Organisation, form.organisation_id.data)
    return _after(session, lambda: walkins.walk_in(current_user, session, name=form.name.data,
                                                     email=form.email.data, organisation=org))


# --- the scanner's JSON API -------------------------------------------------------------

def _json_session(session_id: int) -> EventSession:
    # With its event in the same statement: the permission check and every
    # item of a sync need it.
    session = door_lists.session_with_event(session_id)
    if session is None:
        abort(404)
    ensure_page(services.can_check_in_for, session.event)
    return session


def _counts_json(session: EventSession) -> dict:
    counts = door_lists.counts(session)
    return {"checked_in": counts.checked_in, "confirmed": counts.confirmed}


@bp.route("/door/api/sessions/<int:session_id>/roster")
@require(is_door_staff)
def api_roster(session_id: int):
    """What the scanner stores for offline use (IndexedDB)."""
    session = _json_session(session_id)
    opens, closes = services.checkin_window(session)
    response = jsonify({
        "session": {"id": session.id, "event_id": session.event_id, "title": session.event.title,
                    "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
                    "window_opens": opens.isoformat(), "window_closes": closes.isoformat()},
        "public_key": tickets.public_key_b64(),
        "generated_at": utcnow().isoformat(),
        "csrf_token": generate_csrf(),
        "entries": door_lists.roster(session),
        "counts": _counts_json(session),
    })
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/door/api/sessions/<int:session_id>/sync", methods=["POST"])
@require(is_door_staff)
def api_sync(session_id: int):
    """Check-ins from the scanner, one or a queued batch, each answered."""
    session = _json_session(session_id)
    data = request.get_json(silent=True)
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or len(items) > 500:
        return jsonify({"error": _("The request was not understood.")}), 400
    # One answer per item, always 200 (and committed): an item that failed
    # says so in its own answer.
    results = ledger.sync(current_user, session, items)
    return jsonify({"results": results, "counts": _counts_json(session)})


@bp.route("/door/api/sessions/<int:session_id>/counts")
@require(is_door_staff)
def api_counts(session_id: int):
    session = _json_session(session_id)
    response = jsonify(_counts_json(session))
    response.headers["Cache-Control"] = "no-store"
    return response


#: The static files the door scanner needs offline (the service worker stores them).
DOOR_ASSETS = ("css/app.css", "img/icon.svg", "js/scanner.js", "vendor/jsqr/jsQR.min.js",
               "vendor/tweetnacl/nacl-fast.min.js")


def door_asset_urls() -> list[str]:
    """The door assets' URLs with their content fingerprints (``?v=``)."""
    return [url_for("static", filename=name) for name in DOOR_ASSETS]


@bp.route("/door/sw.js")
def service_worker():
    """The scanner's service worker, served from /door/ so that it may
    control the scanner pages (its scope is /door/). Its first lines name the
    current asset URLs and a cache named after them, so a deploy that changes
    an asset installs a new worker with a fresh cache."""
    assets = door_asset_urls()
    version = hashlib.sha256("\n".join(assets).encode("utf-8")).hexdigest()[:16]
    with open(os.path.join(current_app.static_folder, "js", "door-sw.js"), encoding="utf-8") as f:
        body = f.read()
    prelude = f"var CACHE = {json.dumps('miado-door-' + version)};\nvar ASSETS = {json.dumps(assets)};\n"
    response = make_response(prelude + body)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = "/door/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/door/manifest.webmanifest")
def manifest():
    response = jsonify({
        "name": _("MIA-DO Events – door"), "short_name": _("Door"), "start_url": url_for("checkin.door"),
        "scope": url_for("checkin.door"), "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#1f4e79",
    })
    response.headers["Content-Type"] = "application/manifest+json"
    return response


# --- self check-in ---------------------------------------------------------------------------

@bp.route("/door/sessions/<int:session_id>/self-checkin")
@require(is_door_staff)
def self_checkin_screen(session_id: int):
    """The code shown on a screen at the entrance. static/js/self-screen.js
    asks this same URL for JSON (``Accept: application/json``) and swaps the
    QR code and the address when the code changes; without JavaScript the
    page's "show the current code" link loads it again."""
    session = _session_for_door(session_id)
    now = utcnow()
    rotate = current_app.config["SELF_CHECKIN_ROTATE_SECONDS"]
    refresh = max(5, rotate - int(now.timestamp()) % rotate + 1)  # seconds until the next code
    state = services.window_state(session, now)
    code = self_checkin_code(session, now)
    qr_src = url_for("checkin.self_checkin_png", session_id=session.id, c=code)
    checkin_url = self_checkin_url(session, code)
    counts = door_lists.counts(session)
    if _wants_json():
        response = jsonify({
            "window_state": state, "refresh": refresh,
            "code": code if state == "open" else None,
            "url": checkin_url if state == "open" else None,
            "qr": qr_src if state == "open" else None,
            "counts": {"checked_in": counts.checked_in, "confirmed": counts.confirmed},
        })
    else:
        response = make_response(render_template(
            "checkin/self_screen.html", event_session=session, event=session.event, refresh=refresh,
            window_state=state, window=services.checkin_window(session), counts=counts,
            code=code, qr_src=qr_src, checkin_url=checkin_url))
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response


def _wants_json() -> bool:
    """The screen's script asks for JSON; a browser (or no Accept header) gets HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.route("/door/sessions/<int:session_id>/self-checkin.png")
@require(is_door_staff)
def self_checkin_png(session_id: int):
    session = _session_for_door(session_id)
    return _png_response(tickets.qr_png(self_checkin_url(session), box_size=10))


def self_checkin_url(session: EventSession, code: str | None = None) -> str:
    from ..urls import external_url

    return external_url("checkin.self_checkin", session_id=session.id,
                        code=code or self_checkin_code(session))


@bp.route("/checkin/<int:session_id>/<code>", methods=["GET", "POST"])
@login_required
def self_checkin(session_id: int, code: str):
    session = db.session.get(EventSession, session_id) or abort(404)
    form = SelfCheckInForm()
    result = None
    if form.validate_on_submit():
        try:
            result = self_check_in(current_user, session, code)
        except DomainError as err:
            unit_of_work.discard()
            result = services.Result(err.code, services.RED, str(err.message))
    elif not self_checkin_code_valid(session, code):
        result = services.Result("code_expired", services.RED,
                                 _("This check-in code has expired. Please scan the code on the screen again."))
    return render_template("checkin/self_checkin.html", event_session=session, event=session.event,
                           form=form, result=result, code=code)


# --- certificates ----------------------------------------------------------------------------

@bp.route("/my/certificates")
@login_required
def my_certificates():
    now = utcnow()
    rows = [(event, certificates.standing(event, current_user)) for event in certificates.series_of(current_user)]
    return render_template("checkin/my_certificates.html", rows=rows, now=now,
                           is_finished=certificates.is_finished, form=SelfCheckInForm())


@bp.route("/my/certificates/<int:event_id>.pdf", methods=["GET", "POST"])
@login_required
def certificate_download(event_id: int):
    event = db.session.get(Event, event_id) or abort(404)
    unit_of_work.returns_to(url_for("checkin.my_certificates"))
    certificate = certificates.claim(current_user, event)
    return _pdf_response(certificates.certificate_pdf(certificate), f"certificate-{certificate.code}.pdf")


@bp.route("/certificates/verify")
@bp.route("/certificates/verify/<code>")
def verify_code(code: str | None = None):
    code = code or request.args.get("code", "")
    certificate = certificates.lookup(code) if code else None
    return render_template("checkin/verify.html", code=code, certificate=certificate,
                           checked=bool(code)), (200 if certificate or not code else 404)


@bp.route("/staff/events/<int:event_id>/attendance")
@require(is_staff)
def attendance(event_id: int):
    event = db.session.get(Event, event_id) or abort(404)
    rows = certificates.standings(event)
    return render_template("checkin/attendance.html", event=event, rows=rows,
                           sessions=event.scheduled_sessions, form=SelfCheckInForm(),
                           revoke_form=RevokeForm(), finished=certificates.is_finished(event, utcnow()),
                           reviews=ledger.pending_reviews(event), review_form=ReviewForm())


@bp.route("/staff/checkin-reviews/<int:scan_id>", methods=["POST"])
@require(is_staff)
def review_checkin(scan_id: int):
    """Accept or reject an offline check-in that arrived too late."""
    scan = db.session.get(CheckinScan, scan_id) or abort(404)
    back = unit_of_work.returns_to(url_for("checkin.attendance", event_id=scan.session.event_id))
    form = ReviewForm()
    if not form.validate_on_submit() or form.decision.data not in ("accept", "reject"):
        abort(400)
    accept = form.decision.data == "accept"
    ledger.review_held_scan(current_user, scan, accept=accept)
    name = scan.person_name
    flash(_("The late check-in of %(name)s has been accepted.", name=name) if accept
          else _("The late check-in of %(name)s has been rejected.", name=name), "success")
    return redirect(back)


@bp.route("/staff/events/<int:event_id>/certificates/<int:user_id>", methods=["POST"])
@require(is_staff)
def issue_certificate(event_id: int, user_id: int):
    event = db.session.get(Event, event_id) or abort(404)
    user = db.session.get(User, user_id) or abort(404)
    if SelfCheckInForm().validate_on_submit():
        unit_of_work.attempt(lambda: certificates.issue_by_hand(current_user, event, user),
                        _("A certificate has been issued to %(name)s.", name=user.name))
    return redirect(url_for("checkin.attendance", event_id=event.id))


@bp.route("/staff/certificates/<int:certificate_id>/revoke", methods=["POST"])
@require(is_staff)
def revoke_certificate(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id) or abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: certificates.revoke(current_user, certificate, form.reason.data),
                        _("The certificate has been revoked."))
    else:
        flash(_("Please give a reason."), "error")
    return redirect(url_for("checkin.attendance", event_id=certificate.event_id))


@bp.route("/staff/events/<int:event_id>/door", methods=["GET", "POST"])
@require(is_staff)
def door_staff(event_id: int):
    event = db.session.get(Event, event_id) or abort(404)
    form = DoorStaffForm()
    candidates = db.session.scalars(select(User).where(User.role == "door").order_by(User.name)).all()
    form.user_id.choices = [(str(u.id), f"{u.name} <{u.email}>") for u in candidates]
    if form.validate_on_submit():
        user = get_by_id(User, form.user_id.data)
        if user is None:
            abort(400)
        if request.form.get("remove") == "1":
            unit_of_work.attempt(lambda: services.unassign_door_staff(current_user, event, user),
                            _("%(name)s no longer works the door of this event.", name=user.name))
        else:
            unit_of_work.attempt(lambda: services.assign_door_staff(current_user, event, user),
                            _("%(name)s now works the door of this event.", name=user.name))
        return redirect(url_for("checkin.door_staff", event_id=event.id))
    return render_template("checkin/door_staff.html", event=event, form=form,
                           assigned=services.door_staff_of(event), remove_form=DoorStaffForm())
