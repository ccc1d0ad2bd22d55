"""The staff dashboard through the test client: exports read back (CSV with
the csv module, Excel with openpyxl, the sign-in sheet with pypdf), an audit
entry per export, the live check-in counts, who may open which page, and bad
filter input.

The people (series "Vereinsmanagement", capacity 4; two sessions past, one
to come):

* confirmed: Ahmad Karimi (no MSO), Olena Kovalenko (Brückenbauer),
  "=Ömer Formel" (Kulturbrücke; a name that looks like a spreadsheet formula),
  Zeynep Aydın (Kulturbrücke);
* waiting list: Wanda Warte (Brückenbauer); cancelled: Carl Abgesagt.
* check-ins: first session Ahmad, Olena, Zeynep; second session Zeynep.

The seminar "Datenschutz im Verein" has two sessions with a slot each:
Zeynep and Olena confirmed for the first (Ahmad waiting), Zeynep and Ahmad
for the second.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from miado_events.checkin import services as checkin
from miado_events.database import utcnow
from miado_events.events import queries
from miado_events.events import registration as reg
from miado_events.models.accounts import Role
from miado_events.models.audit import AuditEntry
from miado_events.models.checkin import DoorAssignment
from miado_events.models.events import Event, EventSession, Registration, Slot
from miado_events.models.orgs import Membership, Organisation
from miado_events.timeutil import to_local

from ..conftest import count_statements

CONFIRMED = ["Ahmad Karimi", "Olena Kovalenko", "=Ömer Formel", "Zeynep Aydın"]
KULTUR, BRUECKE = "Kulturbrücke Dortmund e.V.", "Brückenbauer Eving e.V."


@dataclass
class World:
    staff: object
    series: Event
    seminar: Event
    today: Event
    today_session: EventSession
    series_sessions: list
    seminar_sessions: list
    people: dict


def add_event(db, title, kind, starts, capacity):
    event = Event(kind=kind, title=title, capacity=capacity, status="published", languages=["de"])
    db.session.add(event)
    if kind == "series":
        db.session.add(Slot(event=event, capacity=capacity))
    sessions = []
    for start in starts:
        session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2),
                               online_url="https://meet.example.org/r")
        db.session.add(session)
        if kind != "series":
            db.session.add(Slot(event=event, session=session, capacity=capacity))
        sessions.append(session)
    db.session.commit()
    return event, sessions


@pytest.fixture
def world(db, make_user) -> World:
    now = utcnow()
    staff = make_user(Role.STAFF, name="Sabine Staff")
    kultur = Organisation(name=KULTUR, legal_form="ev", status="listed")
    bruecke = Organisation(name=BRUECKE, legal_form="ev", status="listed")
    db.session.add_all([kultur, bruecke])
    people = {}
    for name, org, email in (("Ahmad Karimi", None, "ahmad@example.org"),
                             ("Olena Kovalenko", bruecke, "olena@example.org"),
                             ("=Ömer Formel", kultur, "oemer@example.org"),
                             ("Zeynep Aydın", kultur, "zeynep@example.org"),
                             ("Wanda Warte", bruecke, "wanda@example.org"),
                             ("Carl Abgesagt", kultur, "carl@example.org")):
        person = make_user(name=name, email=email)
        if org is not None:
            db.session.add(Membership(organisation=org, user=person))
        people[name] = (person, org)
    db.session.commit()

    def register(name, session, at):
        person, org = people[name]
        outcome = reg.register_participant(person, person, queries.slot_for(session), org, now=at)
        db.session.commit()
        return outcome.registration

    def come(session, registration):
        result = checkin.check_in(staff, session, registration, method="manual",
                                  now=session.starts_at + timedelta(minutes=5))
        db.session.commit()
        assert result.ok, result.message

    # The series: two sessions past, one to come.
    first = now - timedelta(days=14)
    series, series_sessions = add_event(db, "Vereinsmanagement", "series",
                                        [first, now - timedelta(days=7), now + timedelta(days=7)], 4)
    before = first - timedelta(days=3)
    carl = register("Carl Abgesagt", series_sessions[0], before)
    reg.cancel_registration(people["Carl Abgesagt"][0], carl, now=before)
    db.session.commit()
    regs = {name: register(name, series_sessions[0], before) for name in CONFIRMED}
    assert register("Wanda Warte", series_sessions[0], before).status == "waitlisted"
    for name in ("Ahmad Karimi", "Olena Kovalenko", "Zeynep Aydın"):
        come(series_sessions[0], regs[name])
    come(series_sessions[1], regs["Zeynep Aydın"])

    # The seminar: two sessions to come, a slot each (capacity 2).
    seminar, seminar_sessions = add_event(db, "Datenschutz im Verein", "seminar",
                                          [now + timedelta(days=5), now + timedelta(days=12)], 2)
    register("Zeynep Aydın", seminar_sessions[0], now)
    register("Olena Kovalenko", seminar_sessions[0], now)
    assert register("Ahmad Karimi", seminar_sessions[0], now).status == "waitlisted"
    register("Zeynep Aydın", seminar_sessions[1], now)
    register("Ahmad Karimi", seminar_sessions[1], now)

    # Today's meeting: started (at most) half an hour ago, on today's local date.
    midnight = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight, now - timedelta(minutes=30))
    today, (today_session,) = add_event(db, "Vernetzungscafé heute", "networking", [start], 10)
    a = register("Zeynep Aydın", today_session, start - timedelta(days=1))
    register("Olena Kovalenko", today_session, start - timedelta(days=1))
    result = checkin.check_in(staff, today_session, a, method="manual", now=now)
    db.session.commit()
    assert result.ok, result.message
    return World(staff, series, seminar, today, today_session, series_sessions, seminar_sessions,
                 {name: p for name, (p, _org) in people.items()})


@pytest.fixture
def as_staff(client, login, world):
    login(world.staff)
    return client


def audit_exports(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                   .order_by(AuditEntry.id)))


def read_csv(response) -> list[list[str]]:
    """The flavour German Excel opens: a BOM, then semicolon-separated values."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def assert_download(response, mimetype: str, filename: str) -> None:
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response.headers["Cache-Control"]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- participants ------------------------------------------------------------------------------

def participant_rows(whole_series: str = "Whole series") -> list[list[str]]:
    return [["Name", "Organisation", "Session", "Status"],
            ["Ahmad Karimi", "", whole_series, "Confirmed"],
            ["Olena Kovalenko", BRUECKE, whole_series, "Confirmed"],
            ["'=Ömer Formel", KULTUR, whole_series, "Confirmed"],
            ["Zeynep Aydın", KULTUR, whole_series, "Confirmed"],
            ["Wanda Warte", BRUECKE, whole_series, "Waiting list"]]


def test_participants_csv_and_xlsx(db, as_staff, world):
    response = as_staff.get(f"/staff/events/{world.series.id}/participants.csv")
    assert_download(response, "text/csv", f"participants-{world.series.id}.csv")
    assert read_csv(response) == participant_rows()
    text = response.get_data(as_text=True)
    assert "@" not in text and "Carl" not in text

    response = as_staff.get(f"/staff/events/{world.series.id}/participants.xlsx")
    assert_download(response, XLSX, f"participants-{world.series.id}.xlsx")
    rows = read_xlsx(response)
    assert rows == participant_rows()
    assert not any("@" in str(cell) for row in rows for cell in row)


def test_participants_of_a_seminar_name_the_session(db, as_staff, world):
    rows = read_csv(as_staff.get(f"/staff/events/{world.seminar.id}/participants.csv"))
    sessions = {row[0] + "/" + row[3]: row[2] for row in rows[1:]}
    assert len(rows) == 1 + 5
    assert set(sessions) == {"Zeynep Aydın/Confirmed", "Olena Kovalenko/Confirmed",
                             "Ahmad Karimi/Waiting list", "Ahmad Karimi/Confirmed"}
    assert sessions["Olena Kovalenko/Confirmed"] != sessions["Ahmad Karimi/Confirmed"]
    assert all("Whole series" not in s for s in sessions.values())


# --- the sign-in sheet ---------------------------------------------------------------------------

def test_signin_sheet_lists_confirmed_participants_only(db, as_staff, world):
    response = as_staff.get(f"/staff/events/{world.series.id}/signin.pdf")
    assert_download(response, "application/pdf", f"sign-in-{world.series.id}.pdf")
    text = pdf_text(response)
    assert "Vereinsmanagement" in text
    for name in CONFIRMED:
        assert name in text
    assert "Wanda" not in text and "Carl" not in text
    assert KULTUR in text and BRUECKE in text
    assert "Confirmed participants: 4" in text
    assert "@" not in text


def test_signin_sheet_for_one_session(db, as_staff, world):
    first, second = world.seminar_sessions
    text = pdf_text(as_staff.get(f"/staff/events/{world.seminar.id}/signin.pdf?session={first.id}"))
    assert "Zeynep Aydın" in text and "Olena Kovalenko" in text
    assert "Ahmad" not in text                       # only waiting for this one
    assert "Confirmed participants: 2" in text
    text = pdf_text(as_staff.get(f"/staff/events/{world.seminar.id}/signin.pdf?session={second.id}"))
    assert "Zeynep Aydın" in text and "Ahmad Karimi" in text and "Olena" not in text
    # The whole seminar: each person once.
    text = pdf_text(as_staff.get(f"/staff/events/{world.seminar.id}/signin.pdf"))
    assert text.count("Zeynep Aydın") == 1
    assert "Confirmed participants: 3" in text


def test_signin_sheet_names_date_time_place_and_pages_and_has_rows_for_walk_ins(db, as_staff, world):
    from miado_events.dashboard.exports import WALK_IN_ROWS
    from miado_events.models.events import Venue

    first, _second = world.seminar_sessions
    first.venue = Venue(name="Dietrich-Keuning-Haus", address="Leopoldstraße 50, 44147 Dortmund", room="Saal 2")
    db.session.commit()
    response = as_staff.get(f"/staff/events/{world.seminar.id}/signin.pdf?session={first.id}")
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Datenschutz im Verein" in text
    assert "Dietrich-Keuning-Haus, Leopoldstraße 50, 44147 Dortmund, Saal 2" in " ".join(text.split())
    assert f"Page 1 of {len(reader.pages)}" in text
    # Two people, and a row per walk-in below them: the table is taller than two rows.
    page = reader.pages[0]
    rects = []
    page.extract_text(visitor_operand_before=lambda op, args, cm, tm: rects.append(args) if op == b"re" else None)
    assert len(rects) >= 1 + 2 + WALK_IN_ROWS


def test_signin_sheet_in_arabic_reads_from_the_right(db, client, login, world):
    world.staff.locale = "ar"
    db.session.commit()
    login(world.staff)
    response = client.get(f"/staff/events/{world.series.id}/signin.pdf")
    assert response.status_code == 200
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    placed = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            placed.append((tm[4] * cm[0] + cm[4], text.strip()))

    page.extract_text(visitor_text=visit)
    width = float(page.mediabox.width)

    def x_of(fragment):
        return next(x for x, t in placed if fragment in t)

    # The name column is the first in reading order: on the right, the MSO left of it.
    assert x_of("Zeynep Aydın") > width / 2 > x_of("Kulturbrücke Dortmund")


# --- attendance -----------------------------------------------------------------------------------

ATTENDANCE = [["Ahmad Karimi", "", "x", "–", "–", 1],
              ["Olena Kovalenko", BRUECKE, "x", "–", "–", 1],
              ["'=Ömer Formel", KULTUR, "–", "–", "–", 0],
              ["Zeynep Aydın", KULTUR, "x", "x", "–", 2]]


def test_attendance_csv_and_xlsx_mark_present_sessions(db, as_staff, world):
    response = as_staff.get(f"/staff/events/{world.series.id}/attendance.csv")
    assert_download(response, "text/csv", f"attendance-{world.series.id}.csv")
    rows = read_csv(response)
    assert rows[0][:2] == ["Name", "Organisation"] and rows[0][-1] == "Attended"
    assert len(rows[0]) == 2 + 3 + 1                 # a column per session
    assert rows[1:] == [[str(v) for v in row] for row in ATTENDANCE]
    assert "@" not in response.get_data(as_text=True)

    response = as_staff.get(f"/staff/events/{world.series.id}/attendance.xlsx")
    assert_download(response, XLSX, f"attendance-{world.series.id}.xlsx")
    rows = read_xlsx(response)
    assert rows[0][-1] == "Attended" and len(rows[0]) == 6
    assert rows[1:] == ATTENDANCE


def confirmed_registrations(db, user, event) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.user_id == user.id, Registration.event_id == event.id, Registration.status == "confirmed")))


def test_attendance_has_one_row_per_person(db, as_staff, world):
    """Zeynep holds a seat in both seminar sessions and came to both: one row,
    two marks (the export lists participants, as the sign-in sheet does)."""
    zeynep = world.people["Zeynep Aydın"]
    for session in world.seminar_sessions:
        registration = next(r for r in confirmed_registrations(db, zeynep, world.seminar)
                            if r.slot.session_id == session.id)
        assert checkin.check_in(world.staff, session, registration, method="manual",
                                now=session.starts_at + timedelta(minutes=5)).ok
    db.session.commit()
    rows = read_csv(as_staff.get(f"/staff/events/{world.seminar.id}/attendance.csv"))
    assert [row for row in rows if row[0] == "Zeynep Aydın"] == [["Zeynep Aydın", KULTUR, "x", "x", "2"]]
    assert [row[0] for row in rows[1:]] == ["Ahmad Karimi", "Olena Kovalenko", "Zeynep Aydın"]


# --- every export is audited -----------------------------------------------------------------------

EXPORTS = [("participants.csv", "participants-{id}.csv"), ("participants.xlsx", "participants-{id}.xlsx"),
           ("attendance.csv", "attendance-{id}.csv"), ("attendance.xlsx", "attendance-{id}.xlsx"),
           ("signin.pdf", "sign-in-{id}.pdf")]


def test_each_export_writes_one_audit_entry(db, as_staff, world):
    event = world.series
    for path, filename in EXPORTS:
        before = audit_exports(db)
        assert as_staff.get(f"/staff/events/{event.id}/{path}").status_code == 200
        after = audit_exports(db)
        assert len(after) == len(before) + 1, path
        entry = after[-1]
        assert (entry.actor_id, entry.actor_name) == (world.staff.id, "Sabine Staff")
        assert (entry.object_type, entry.object_id) == ("events", event.id)
        assert "Vereinsmanagement" in entry.summary
        assert entry.details["file"] == filename.format(id=event.id)

    # The sign-in sheet of one session names it.
    first = world.seminar_sessions[0]
    as_staff.get(f"/staff/events/{world.seminar.id}/signin.pdf?session={first.id}")
    entry = audit_exports(db)[-1]
    assert (entry.object_id, entry.details["session_id"]) == (world.seminar.id, first.id)

    # The statistics, with their filters.
    response = as_staff.get("/staff/statistics.csv?from=2026-01-01&to=2026-12-31&kind=series")
    assert_download(response, "text/csv", "statistics.csv")
    assert read_csv(response)[0] == ["section", "label", "expected_or_reached", "attended_or_total", "rate"]
    entries = audit_exports(db)
    assert len(entries) == len(EXPORTS) + 2
    entry = entries[-1]
    assert (entry.actor_id, entry.object_type, entry.object_id) == (world.staff.id, None, None)
    assert entry.details == {"file": "statistics.csv", "date_from": "2026-01-01", "date_to": "2026-12-31",
                             "kind": "series"}
    # Looking at pages is no export.
    for url in ("/staff/", "/staff/statistics", "/staff/audit", "/staff/mailings", "/staff/dashboard/live.json"):
        as_staff.get(url)
    assert len(audit_exports(db)) == len(EXPORTS) + 2
    # The audit log shows them, filtered by action.
    html = as_staff.get("/staff/audit?action=export").get_data(as_text=True)
    assert html.count("Sabine Staff") >= len(EXPORTS) + 2
    assert "sign-in-" in html and "statistics.csv" in html


# --- statistics page ------------------------------------------------------------------------------

def test_statistics_page_shows_the_counts_and_explains_bad_dates(db, as_staff, world):
    html = as_staff.get("/staff/statistics?kind=series").get_data(as_text=True)
    # Two past sessions of the series, four confirmed each; four check-ins.
    assert "2 past sessions counted." in html
    assert "Attendance: 4 of 8 confirmed (50%); no-shows 50%." in html
    assert "2 of 2 listed MSOs had at least one participant (100%)." in html

    html = as_staff.get("/staff/statistics?from=bad&kind=series").get_data(as_text=True)
    assert "Please enter dates as YYYY-MM-DD" in html and "bad" in html
    assert "2 past sessions counted." in html
    html = as_staff.get("/staff/statistics?from=2099-12-31&to=2000-01-01&kind=series").get_data(as_text=True)
    assert "they have been swapped" in html
    assert "2 past sessions counted." in html


# --- live check-in counts --------------------------------------------------------------------------

def test_live_json_counts_todays_session(db, as_staff, world):
    response = as_staff.get("/staff/dashboard/live.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"sessions": [
        {"id": world.today_session.id, "checked_in": 1, "confirmed": 2}]}

    (olena,) = confirmed_registrations(db, world.people["Olena Kovalenko"], world.today)
    assert checkin.check_in(world.staff, world.today_session, olena, method="manual").ok
    db.session.commit()
    assert as_staff.get("/staff/dashboard/live.json").get_json()["sessions"] == [
        {"id": world.today_session.id, "checked_in": 2, "confirmed": 2}]
    html = as_staff.get("/staff/").get_data(as_text=True)
    assert f'<span data-live-checked="{world.today_session.id}">2</span>' in html
    assert f'<span data-live-confirmed="{world.today_session.id}">2</span>' in html


# --- what needs me today ----------------------------------------------------------------------------

def test_dashboard_lists_upcoming_sessions_with_fill_rate_and_waiting_list(db, as_staff, world):
    from miado_events.dashboard import overview
    from miado_events.events import services as event_services

    # Neither a draft, nor a cancelled session, nor one after 14 days is listed.
    add_event(db, "Entwurf", "seminar", [utcnow() + timedelta(days=2)], 5)[0].status = "draft"
    far, (far_session,) = add_event(db, "Zu spät", "seminar", [utcnow() + timedelta(days=15)], 5)
    gone, (gone_session,) = add_event(db, "Abgesagt", "seminar", [utcnow() + timedelta(days=2)], 5)
    event_services.cancel_session(world.staff, gone_session)
    db.session.commit()

    upcoming = [(s.title, s.confirmed, s.capacity, s.waiting) for s in overview.upcoming_sessions()]
    assert upcoming == [("Datenschutz im Verein", 2, 2, 1),     # in 5 days: Ahmad waits
                        ("Vereinsmanagement", 4, 4, 1),         # the series' third session: Wanda waits
                        ("Datenschutz im Verein", 2, 2, 0)]     # in 12 days
    html = as_staff.get("/staff/").get_data(as_text=True)
    assert html.count("2 / 2 (100%)") == 2 and "4 / 4 (100%)" in html
    for title in ("Entwurf", "Zu spät", "Abgesagt"):
        assert title not in html
    assert "Vernetzungscafé heute" in html                     # under "Check-in today"


# --- kept figures (issue #21) ----------------------------------------------------------------------

#: Statements of GET /staff/ with its figures kept: the log-in, the data
#: version, the queues, today's check-ins, the calendar replies. Before the
#: figures were kept, every view ran 9 (and formatted every date again).
KEPT = 5
#: ... and the first view after a write: 3 more for the upcoming sessions, 1
#: for the recent registrations, 1 for today's sessions.
AFTER_A_WRITE = 10


def staff_page(db, client) -> tuple[int, str]:
    """(statements, HTML) of one view of the dashboard."""
    db.session.expire_all()
    with count_statements(db.engine) as statements:
        response = client.get("/staff/")
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_the_dashboard_keeps_its_figures_until_something_is_written(db, as_staff, world):
    (zeynep_12_days,) = [r for r in confirmed_registrations(db, world.people["Zeynep Aydın"], world.seminar)
                         if r.slot.session_id == world.seminar_sessions[1].id]
    assert staff_page(db, as_staff)[0] == AFTER_A_WRITE    # the world was just written
    statements, html = staff_page(db, as_staff)
    assert statements == KEPT
    assert html.count("2 / 2 (100%)") == 2

    # A cancellation is on the very next view: the session in 12 days has a seat free.
    reg.cancel_registration(world.people["Zeynep Aydın"], zeynep_12_days)
    db.session.commit()
    statements, html = staff_page(db, as_staff)
    assert statements == AFTER_A_WRITE
    assert html.count("2 / 2 (100%)") == 1 and "1 / 2 (50%)" in html
    assert staff_page(db, as_staff)[0] == KEPT

    # Check-ins are read on every view, kept figures or not.
    (olena,) = confirmed_registrations(db, world.people["Olena Kovalenko"], world.today)
    assert checkin.check_in(world.staff, world.today_session, olena, method="manual").ok
    db.session.commit()
    html = staff_page(db, as_staff)[1]
    assert f'<span data-live-checked="{world.today_session.id}">2</span>' in html

    # Each language has its own copy: German dates, percentages and labels,
    # not the English copy another staff member's view left behind.
    assert "Training series" in html
    as_staff.post("/language", data={"locale": "de", "next": "/staff/"})
    statements, html = staff_page(db, as_staff)
    assert statements == AFTER_A_WRITE
    assert "Weiterbildungsreihe" in html and "Training series" not in html and "1 / 2 (50\xa0%)" in html


def test_kept_figures_follow_the_clock(db, as_staff, world, monkeypatch):
    """The windows move with time: six days on, the session in five days has
    gone from the upcoming list though nothing was written."""
    from miado_events.dashboard import views

    staff_page(db, as_staff)
    assert staff_page(db, as_staff)[0] == KEPT
    later = utcnow() + timedelta(days=6)
    monkeypatch.setattr(views, "utcnow", lambda: later)
    statements, html = staff_page(db, as_staff)
    assert statements == AFTER_A_WRITE - 1  # built again; no session that day, so no check-ins to count
    assert html.count("2 / 2 (100%)") == 1 and "4 / 4 (100%)" in html
    assert "Vernetzungscafé heute" not in html

    # A copy is never served to a clock that stands before it was made.
    monkeypatch.undo()
    statements, html = staff_page(db, as_staff)
    assert statements == AFTER_A_WRITE
    assert html.count("2 / 2 (100%)") == 2 and "Vernetzungscafé heute" in html


# --- who may see what ------------------------------------------------------------------------------

@pytest.fixture
def series_ids(db) -> tuple[int, int]:
    """A published series with one session (no registrations): its id and the session's."""
    event, (session,) = add_event(db, "Reihe", "series", [utcnow() + timedelta(days=3)], 5)
    return event.id, session.id


def dashboard_urls(event_id: int, session_id: int) -> list[str]:
    return ["/staff/", "/staff/dashboard/live.json", "/staff/statistics", "/staff/statistics.csv",
            f"/staff/events/{event_id}/participants.csv", f"/staff/events/{event_id}/participants.xlsx",
            f"/staff/events/{event_id}/attendance.csv", f"/staff/events/{event_id}/attendance.xlsx",
            f"/staff/events/{event_id}/signin.pdf", f"/staff/events/{event_id}/signin.pdf?session={session_id}",
            "/staff/mailings", "/staff/audit"]


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_staff_and_admins_may_open_every_dashboard_page(db, client, login, make_user, series_ids, role):
    login(make_user(role))
    for url in dashboard_urls(*series_ids):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.MEMBER, Role.DOOR])
def test_members_and_door_staff_get_403_everywhere(db, client, login, make_user, series_ids, role):
    user = make_user(role)
    if role == Role.DOOR:    # even at the door of this very event
        db.session.add(DoorAssignment(event_id=series_ids[0], user_id=user.id))
        db.session.commit()
    login(user)
    for url in dashboard_urls(*series_ids):
        assert client.get(url).status_code == 403, url
    assert audit_exports(db) == []


def test_anonymous_visitors_are_sent_to_log_in(db, client, series_ids):
    for url in dashboard_urls(*series_ids):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url
    assert audit_exports(db) == []


# --- bad input ------------------------------------------------------------------------------------

@pytest.fixture
def staff_client(client, login, make_user):
    login(make_user(Role.STAFF))
    return client


def statuses(client, urls) -> dict[str, int]:
    """The URLs that did not answer as expected, with their status."""
    return {url: client.get(url).status_code for url in urls}


# (A NUL byte is refused before any view: tests/integration/test_hostile_input.py.)
DATE_FILTERS = ["from=bad", "to=bad", "from=2027-02-30", "from=" + "9" * 300, "kind=unknown",
                "kind=", "from=2027-12-31&to=2027-01-01", "from=&to=&kind=series"]
EXTREME_DATES = ["from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31"]


@pytest.mark.parametrize("page", ["/staff/statistics", "/staff/statistics.csv", "/staff/audit"])
def test_bad_date_filters_never_give_a_500(db, staff_client, series_ids, page):
    result = statuses(staff_client, [f"{page}?{query}" for query in DATE_FILTERS])
    assert {url: code for url, code in result.items() if code != 200} == {}


@pytest.mark.parametrize("page", ["/staff/statistics", "/staff/statistics.csv", "/staff/audit"])
def test_extreme_dates_never_give_a_500(db, staff_client, page):
    """The first and last days a date field accepts are still dates."""
    result = statuses(staff_client, [f"{page}?{query}" for query in EXTREME_DATES])
    assert {url: code for url, code in result.items() if code != 200} == {}


def test_bad_audit_and_mailing_filters_never_give_a_500(db, staff_client):
    urls = [f"/staff/audit?{q}" for q in ("actor=abc", "actor=-1", "action=nonsense", "action=export&actor=",
                                         "page=abc", "page=-3", "page=99999")]
    urls += [f"/staff/mailings?{q}" for q in ("event=abc", "event=-1", "page=abc", "page=99999")]
    result = statuses(staff_client, urls)
    assert {url: code for url, code in result.items() if code != 200} == {}


def test_ids_out_of_range_never_give_a_500(db, staff_client):
    """More than 64 bits: SQLite cannot even bind it, PostgreSQL refuses it
    for an INTEGER column (the app's get_by_id answers None for these)."""
    huge = "99999999999999999999"
    expected = {f"/staff/audit?actor={huge}": 200, f"/staff/mailings?event={huge}": 200}
    expected.update({f"/staff/events/{huge}/{path}": 404 for path, _ in EXPORTS})
    assert statuses(staff_client, expected) == expected


def test_page_numbers_out_of_range_never_give_a_500(db, staff_client):
    huge = "99999999999999999999"
    result = statuses(staff_client, [f"/staff/audit?page={huge}", f"/staff/mailings?page={huge}"])
    assert {url: code for url, code in result.items() if code != 200} == {}


def test_a_bad_session_gives_404_not_500(db, staff_client, series_ids):
    event_id, _session_id = series_ids
    other_event, (other_session,) = add_event(db, "Andere", "seminar", [utcnow() + timedelta(days=4)], 5)
    result = statuses(staff_client, [f"/staff/events/{event_id}/signin.pdf?session={value}" for value in (
        "abc", "-1", "0", "1.5", "99999999999999999999", str(other_session.id))])
    assert {url: code for url, code in result.items() if code != 404} == {}
    assert audit_exports(db) == []


def test_an_unknown_event_gives_404(db, staff_client):
    result = statuses(staff_client, [f"/staff/events/424242/{path}" for path, _ in EXPORTS])
    assert {url: code for url, code in result.items() if code != 404} == {}
    assert audit_exports(db) == []


def test_charts_are_mirrored_right_to_left(db, client, login, world):
    login(world.staff)
    ltr = client.get("/staff/statistics").get_data(as_text=True)
    assert '<text x="0"' in ltr and 'text-anchor="end"' not in ltr
    world.staff.locale = "ar"
    db.session.commit()
    rtl = client.get("/staff/statistics").get_data(as_text=True)
    # Labels end at the drawing's right edge and bars grow leftwards, inside the drawing.
    assert '<text x="416"' in rtl and 'text-anchor="end"' in rtl and '<text x="0"' not in rtl
