"""Exports for staff: an event's participant list (CSV, Excel, PDF sign-in
sheet) and a series' attendance per session (CSV, Excel).

They hold only the fields the work needs: name, MSO, session, status and
attendance — no e-mail addresses, phone numbers or account data. Every
export is written to the audit log by the view that serves it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import format_date, format_datetime, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..events import questions as question_services
from ..events.labels import REGISTRATION_STATUS_LABELS
from ..extensions import db
from ..i18n import ui_language
from ..models.checkin import Attendance
from ..models.events import ACTIVE_REGISTRATION, Event, EventSession, Registration, Slot
from ..models.accounts import User
from ..models.translated import localized
from ..orgs.exports import sort_key
from ..tables import csv_safe, csv_text


@dataclass
class Participant:
    name: str
    organisation: str
    session: str
    status: str
    registration_id: int | None = None


def participants(event: Event, *, statuses=ACTIVE_REGISTRATION) -> list[Participant]:
    rows = db.session.scalars(
        select(Registration).join(User, User.id == Registration.user_id)
        .options(joinedload(Registration.user), joinedload(Registration.organisation),
                 joinedload(Registration.slot).joinedload(Slot.session))
        .where(Registration.event_id == event.id, Registration.status.in_(statuses))).all()
    out = []
    for r in rows:
        session = r.slot.session
        out.append(Participant(
            name=r.user.name, organisation=r.organisation.name if r.organisation else "",
            session=format_datetime(session.starts_at, "short") if session else _("Whole series"),
            status=str(REGISTRATION_STATUS_LABELS.get(r.status, r.status)), registration_id=r.id))
    return sorted(out, key=lambda p: (p.session, p.status, sort_key(p.name)))


PERSONAL_DATA_NOTE = _l("This file holds personal data. Use it only to organise this event, do not pass it on, "
                        "and delete it when it is no longer needed.")


def _headers() -> list[str]:
    return [_("Name"), _("Organisation"), _("Session"), _("Status")]


def _participant_table(event: Event) -> tuple[list[str], list[list[str]]]:
    """Header and rows: the person, then one column per registration question."""
    people = participants(event)
    question_headers, answers = question_services.export_columns(event, [p.registration_id for p in people])
    rows = [[p.name, p.organisation, p.session, p.status, *answers[p.registration_id]] for p in people]
    return _headers() + question_headers, rows


def participants_csv(event: Event) -> str:
    return csv_text(*_participant_table(event))


def _workbook(title: str, header: list[str], rows: list[list]) -> bytes:
    # openpyxl and fpdf2 (with fontTools) are loaded by the first export that
    # needs them, not by every web worker at start-up (see gunicorn.conf.py).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Text that looks like a formula stays text.
        sheet.append([csv_safe(v) if isinstance(v, str) else v for v in row])
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 50)
    sheet.freeze_panes = "A2"
    # Exports with names say what they are for (DSGVO: purpose limitation).
    note = book.create_sheet(_("Note")[:31])
    note.append([str(PERSONAL_DATA_NOTE)])
    note.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def participants_xlsx(event: Event) -> bytes:
    header, rows = _participant_table(event)
    return _workbook(_("Participants"), header, rows)


# --- attendance per session -------------------------------------------------------------

def attendance_matrix(event: Event) -> tuple[list[EventSession], list[tuple[str, str, list[bool]]]]:
    """Sessions, and per confirmed participant: name, MSO, present per session."""
    sessions = event.scheduled_sessions
    ids = [s.id for s in sessions]
    registrations = db.session.scalars(
        select(Registration).options(joinedload(Registration.user), joinedload(Registration.organisation),
                                     joinedload(Registration.slot))
        .where(Registration.event_id == event.id, Registration.is_confirmed,
               Registration.user_id.is_not(None))).all()
    present = set(db.session.execute(
        select(Attendance.registration_id, Attendance.session_id)
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(Registration.event_id == event.id, Attendance.session_id.in_(ids))).all())
    # One row per person: someone registered for several sessions of a
    # networking meeting has several registrations.
    people: dict[int, list[Registration]] = {}
    for r in registrations:
        people.setdefault(r.user_id, []).append(r)
    rows = []
    for regs in sorted(people.values(), key=lambda rs: (sort_key(rs[0].user.name), rs[0].user_id)):
        marks = []
        for s in sessions:
            covering = [r for r in regs if r.slot.session_id in (None, s.id)]
            marks.append(any((r.id, s.id) in present for r in covering) if covering else None)
        orgs = sorted({r.organisation.name for r in regs if r.organisation})
        rows.append((regs[0].user.name, ", ".join(orgs), marks))
    return sessions, rows


def _attendance_rows(event: Event):
    sessions, rows = attendance_matrix(event)
    header = [_("Name"), _("Organisation")] + [format_datetime(s.starts_at, "short") for s in sessions] + [_("Attended")]
    out = []
    for name, org, marks in rows:
        cells = ["x" if m else ("" if m is None else "–") for m in marks]
        out.append([name, org, *cells, sum(1 for m in marks if m)])
    return header, out


def attendance_csv(event: Event) -> str:
    header, rows = _attendance_rows(event)
    return csv_text(header, rows)


def attendance_xlsx(event: Event) -> bytes:
    header, rows = _attendance_rows(event)
    return _workbook(_("Attendance"), header, rows)


# --- the paper fallback ------------------------------------------------------------------

#: Empty rows at the end of a sign-in sheet, for people who come without a
#: registration (the sheet is the paper proof for funding reports).
WALK_IN_ROWS = 8


def _when_and_where(event: Event, session: EventSession | None) -> list[str]:
    sessions = [session] if session is not None else event.scheduled_sessions
    lines = []
    for s in sessions:
        line = _("%(date)s, %(start)s–%(end)s", date=format_date(s.starts_at, "full"),
                 start=format_time(s.starts_at, "short"), end=format_time(s.ends_at, "short"))
        if s.venue is not None:
            place = s.venue.name + ", " + s.venue.address + (", " + s.venue.room if s.venue.room else "")
            line += " · " + place
        elif s.online_url:
            line += " · " + _("Online")
        lines.append(line)
    return lines


def signin_sheet_pdf(event: Event, session: EventSession | None = None) -> bytes:
    """A4 sign-in sheet: event, date, time and place at the top; name, MSO
    and an empty signature column for the confirmed participants of one
    session (or of the whole series); blank rows for walk-ins; "Page x of y"."""
    from fpdf.enums import XPos, YPos

    from ..pdf import new_document

    condition = Registration.event_id == event.id
    if session is not None:
        condition = and_(condition, Slot.event_id == event.id,
                         or_(Slot.session_id == session.id, Slot.session_id.is_(None)))
    registrations = db.session.scalars(
        select(Registration).join(Slot, Slot.id == Registration.slot_id)
        .options(joinedload(Registration.user), joinedload(Registration.organisation))
        .where(condition, Registration.is_confirmed, Registration.user_id.is_not(None))).all()
    people = sorted({r.user_id: r for r in registrations}.values(), key=lambda r: sort_key(r.user.name))
    # In the staff member's UI language, the title too where it is translated.
    title = _("Sign-in sheet: %(title)s", title=localized(event, "title", ui_language()).text)
    pdf = new_document(title, margin=15, page_numbers=True)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 11)
    for line in _when_and_where(event, session):
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 7, _("Confirmed participants: %(n)d", n=len(people)), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(3)
    # The answers to the questions staff put on the sheet (never sensitive ones).
    question_headers, answers = question_services.export_columns(
        event, [r.id for r in people], sign_in_sheet=True)
    widths = ([62, 62, 56] if not question_headers else
              [48, 44, *[44 / len(question_headers)] * len(question_headers), 44])
    with pdf.table(col_widths=pdf.columns(widths), line_height=9, text_align=pdf.start,
                   first_row_as_headings=True, repeat_headings=1) as table:
        head = table.row()
        for text in pdf.columns([_("Name"), _("Organisation"), *question_headers, _("Signature")]):
            head.cell(text)
        for r in people:
            row = table.row()
            for text in pdf.columns([r.user.name, r.organisation.name if r.organisation else "",
                                     *answers[r.id], ""]):
                row.cell(text)
        for _blank in range(WALK_IN_ROWS):
            row = table.row()
            for _cell in range(len(widths)):
                row.cell("")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, _("For the attendance record of this event only. Please keep it safe and destroy it "
                           "once the attendance has been entered."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 5, str(PERSONAL_DATA_NOTE))
    return pdf.finish()
