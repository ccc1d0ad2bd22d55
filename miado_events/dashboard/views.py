"""The staff dashboard, statistics, exports, mailings and the audit log."""
from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, abort, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import audit, tables
from ..web import percent
from ..database import paginate, utcnow
from ..events.labels import KIND_LABELS
from ..extensions import db
from ..inputs import get_by_id, parse_id
from ..models.accounts import User
from ..models.audit import AuditEntry
from ..models.events import Event, EventSession
from ..models.mail import Mailing
from ..permissions import is_staff, require
from ..timeutil import local_to_utc
from ..calendar import replies as calendar_replies
from . import exports, figures, overview, stats

bp = Blueprint("dashboard", __name__)

PER_PAGE = 50


@bp.route("/")
@require(is_staff)
def index():
    now = utcnow()
    kept = figures.figures(now)
    return render_template(
        "dashboard/index.html", now=now, upcoming=kept.upcoming, recent=kept.recent, queues=overview.queues(),
        live=kept.today, checked_in=figures.checked_in(kept.today), days=overview.UPCOMING_DAYS,
        calendar=calendar_replies.dashboard_counts(now))


@bp.route("/dashboard/live.json")
@require(is_staff)
def live():
    response = jsonify({"sessions": [
        {"id": s.session_id, "checked_in": s.checked_in, "confirmed": s.confirmed}
        for s in overview.live_sessions()]})
    response.headers["Cache-Control"] = "no-store"
    return response


def _parse_date(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not date(1900, 1, 1) <= day <= date(2999, 12, 31):
        flash(_("Please enter dates as YYYY-MM-DD; “%(value)s” was ignored.", value=value[:20]), "error")
        return None
    return day


def _filters() -> stats.Filters:
    kind = request.args.get("kind") or None
    filters = stats.Filters(date_from=_parse_date("from"), date_to=_parse_date("to"),
                            kind=kind if kind in KIND_LABELS else None)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        flash(_("The start date was after the end date; they have been swapped."), "info")
        filters.date_from, filters.date_to = filters.date_to, filters.date_from
    return filters


@bp.route("/statistics")
@require(is_staff)
def statistics():
    filters = _filters()
    computed = stats.compute(filters)
    return render_template("dashboard/statistics.html", stats=computed, filters=filters, kinds=KIND_LABELS,
                           charts=_chart_items(computed))


def _chart_items(computed: stats.Statistics) -> dict:
    """(label, value from 0 to 1, text) per bar; the tables carry the numbers too."""
    def rates(rows, label=lambda r: r.label):
        return [(label(r), r.attendance_rate or 0, percent(r.attendance_rate)) for r in rows]

    def shares(rows):
        return [(r.label, r.share or 0, f"{r.reached}/{r.listed}") for r in rows]

    return {
        "kind": rates(computed.by_kind, lambda r: str(KIND_LABELS.get(r.label, r.label))),
        "month": rates(computed.by_month),
        "year": shares(computed.reached_by_year),
        "district": shares(computed.reached_by_district),
        "region": shares(computed.reached_by_region),
    }


def _download(data, mimetype: str, filename: str, *, what: str, obj=None, **details):
    audit.record(current_user, "export", obj, what, file=filename, **details)
    return tables.download(data.encode("utf-8") if isinstance(data, str) else data, mimetype, filename)


CSV, XLSX = tables.CSV_CONTENT_TYPE, tables.XLSX_CONTENT_TYPE


@bp.route("/statistics.csv")
@require(is_staff)
def statistics_csv():
    filters = _filters()
    return _download(stats.statistics_csv(stats.compute(filters)), CSV, "statistics.csv",
                     what=_("Statistics"), date_from=str(filters.date_from or ""), date_to=str(filters.date_to or ""),
                     kind=filters.kind)


def _event(event_id: int) -> Event:
    return db.session.get(Event, event_id) or abort(404)


EVENT_TABLES = {
    # name in the URL: (CSV maker, Excel maker, what the audit log says)
    "participants": (exports.participants_csv, exports.participants_xlsx, _l("Participants of %(title)s")),
    "attendance": (exports.attendance_csv, exports.attendance_xlsx, _l("Attendance of %(title)s")),
}


@bp.route("/events/<int:event_id>/participants.<any(csv, xlsx):fmt>", defaults={"table": "participants"},
          endpoint="participants_export")
@bp.route("/events/<int:event_id>/attendance.<any(csv, xlsx):fmt>", defaults={"table": "attendance"},
          endpoint="attendance_export")
@require(is_staff)
def table_export(event_id: int, fmt: str, table: str):
    event = _event(event_id)
    make_csv, make_xlsx, what = EVENT_TABLES[table]
    data, mimetype = (make_csv(event), CSV) if fmt == "csv" else (make_xlsx(event), XLSX)
    return _download(data, mimetype, f"{table}-{event.id}.{fmt}", what=str(what) % {"title": event.title}, obj=event)


@bp.route("/events/<int:event_id>/signin.pdf")
@require(is_staff)
def signin_sheet(event_id: int):
    event = _event(event_id)
    session = None
    if request.args.get("session"):
        session = get_by_id(EventSession, request.args["session"])
        if session is None or session.event_id != event.id:
            abort(404)
    return _download(exports.signin_sheet_pdf(event, session), "application/pdf", f"sign-in-{event.id}.pdf",
                     what=_("Sign-in sheet of %(title)s", title=event.title), obj=event,
                     session_id=session.id if session else None)


@bp.route("/mailings")
@require(is_staff)
def mailings():
    query = select(Mailing).order_by(Mailing.sent_at.desc(), Mailing.id.desc())
    event_id = parse_id(request.args.get("event"))
    if event_id:
        query = query.where(Mailing.event_id == event_id)
    page = paginate(query, per_page=PER_PAGE)
    return render_template("dashboard/mailings.html", page=page)


@bp.route("/audit")
@require(is_staff)
def audit_log():
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    action = request.args.get("action") or ""
    if action in audit.ACTIONS:
        query = query.where(AuditEntry.action == action)
    else:
        action = ""
    actor_id = parse_id(request.args.get("actor"))
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    day_from, day_to = _parse_date("from"), _parse_date("to")
    if day_from:
        query = query.where(AuditEntry.at >= local_to_utc(day_from, time(0)))
    if day_to:
        query = query.where(AuditEntry.at < local_to_utc(day_to + timedelta(days=1), time(0)))
    page = paginate(query, per_page=PER_PAGE)
    staff = db.session.scalars(select(User).where(User.role.in_(("staff", "admin", "door"))).order_by(User.name)).all()
    return render_template("dashboard/audit.html", page=page, actions=audit.ACTIONS, action=action,
                           actor_id=actor_id, staff=staff, day_from=day_from, day_to=day_to)
