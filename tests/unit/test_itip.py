"""RFC 5546 (iTIP): the checker in tests/itip.py, and each kind of calendar
file ical.py writes checked with it: downloads and feeds (PUBLISH), invites
and updates (REQUEST), cancellations (CANCEL)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import vobject

from miado_events.calendar import ical
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import SessionData

from ..itip import assert_itip, problems
from .events_support import NOW, ONLINE, register, slot_of

HEAD = "BEGIN:VCALENDAR\r\nPRODID:-//test//EN\r\nVERSION:2.0\r\nMETHOD:{method}\r\n"
TAIL = "END:VCALENDAR\r\n"
ORGANIZER = "ORGANIZER;CN=Office:mailto:office@example.org\r\n"
ATTENDEE = "ATTENDEE;CN=Ana:mailto:ana@example.org\r\n"


def calendar(method: str, *lines: str) -> str:
    vevent = ("BEGIN:VEVENT\r\nUID:a@example.org\r\nDTSTAMP:20270301T100000Z\r\n"
              "DTSTART:20270310T170000Z\r\nDTEND:20270310T190000Z\r\nSUMMARY:Seminar\r\n"
              + "".join(lines) + "END:VEVENT\r\n")
    return HEAD.format(method=method) + vevent + TAIL


# --- the checker ---------------------------------------------------------------------------

def test_checker_accepts_what_the_tables_allow():
    assert problems(calendar("PUBLISH", ORGANIZER, "SEQUENCE:2\r\n")) == []
    assert problems(calendar("REQUEST", ORGANIZER, ATTENDEE)) == []
    assert problems(calendar("CANCEL", ORGANIZER, ATTENDEE, "SEQUENCE:1\r\n")) == []


@pytest.mark.parametrize("method,lines,finding", [
    ("PUBLISH", [], "ORGANIZER appears 0 times"),
    ("PUBLISH", [ORGANIZER, ATTENDEE], "ATTENDEE appears 1 times, allowed 0"),
    ("REQUEST", [ORGANIZER], "ATTENDEE appears 0 times, allowed 1+"),
    ("REQUEST", [ORGANIZER, ATTENDEE, "STATUS:CANCELLED\r\n"], "STATUS CANCELLED not allowed"),
    ("CANCEL", [ORGANIZER, ATTENDEE], "SEQUENCE appears 0 times"),
    ("CANCEL", [ATTENDEE, "SEQUENCE:1\r\n"], "ORGANIZER appears 0 times"),
    ("CANCEL", [ORGANIZER, "SEQUENCE:1\r\n", "STATUS:CONFIRMED\r\n"], "STATUS CONFIRMED not allowed"),
    ("REQUEST", [ORGANIZER, ATTENDEE, "REQUEST-STATUS:2.0;Success\r\n"], "REQUEST-STATUS appears 1"),
])
def test_checker_finds_what_the_tables_forbid(method, lines, finding):
    found = problems(calendar(method, *lines))
    assert any(finding in f for f in found), found


def test_checker_wants_one_uid_per_request_and_a_method():
    two = calendar("REQUEST", ORGANIZER, ATTENDEE).replace(
        "END:VCALENDAR", calendar("REQUEST", ORGANIZER, ATTENDEE).split(TAIL)[0]
        .split("METHOD:REQUEST\r\n")[1].replace("UID:a@", "UID:b@") + "END:VCALENDAR")
    assert any("same UID" in f for f in problems(two))
    assert problems(calendar("PUBLISH", ORGANIZER).replace("METHOD:PUBLISH\r\n", "")) == [
        "VCALENDAR has no METHOD"]


# --- what ical.py writes ---------------------------------------------------------------------

def test_downloads_and_feeds_name_the_office_as_organizer_and_nobody_else(app, db, staff, make_event):
    app.config.update(OFFICE_NAME="MIA-DO-KI Stadt Dortmund", OFFICE_EMAIL="buero@example.org")
    event = make_event(kind="series", sessions=3)
    for text in (ical.event_download(event), ical.session_download(event.sessions[0]),
                 ical.build(event.sessions, name="Alle", feed=True)):
        assert_itip(text, "PUBLISH")
        for vevent in vobject.readOne(text.decode()).vevent_list:
            assert vevent.organizer.value == "mailto:buero@example.org"
            assert vevent.organizer.params["CN"] == ["MIA-DO-KI Stadt Dortmund"]
            assert "attendee" not in vevent.contents


def test_office_address_defaults_to_the_contact_address(app, db, staff, make_event):
    app.config.pop("OFFICE_EMAIL", None)
    app.config["CONTACT_EMAIL"] = "kontakt@example.org"
    text = ical.session_download(make_event().sessions[0])
    assert vobject.readOne(text.decode()).vevent.organizer.value == "mailto:kontakt@example.org"


def test_a_publish_never_names_an_attendee(db, make_event, make_user):
    text = ical.build(make_event().sessions, method=ical.PUBLISH, attendee=make_user())
    assert_itip(text, "PUBLISH")


def test_invite_update_and_cancellations_of_one_session_keep_the_tables(db, staff, make_event, make_user,
                                                                        outbox):
    event = make_event(capacity=1)
    member, waiting = make_user(), make_user()
    registration = register(db, member, slot_of(event)).registration
    register(db, waiting, slot_of(event))
    session = event.sessions[0]
    services.update_session(staff, session, SessionData(day=session.starts_at.date() + timedelta(days=1),
                                                        start=time(17), end=time(19), online_url=ONLINE))
    db.session.commit()
    reg.cancel_registration(member, registration, now=NOW)   # the member leaves: uninvited
    db.session.commit()
    services.cancel_session(staff, session, now=NOW)       # then the session is cancelled for all
    db.session.commit()

    methods = []
    for msg in outbox:
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                methods.append(part.get_param("method"))
                assert_itip(part.get_content(), part.get_param("method"))
    assert sorted(methods) == ["CANCEL", "CANCEL", "REQUEST", "REQUEST", "REQUEST"]


def test_an_invite_leaves_out_a_session_cancelled_before(db, staff, make_event, make_user, outbox):
    """A REQUEST cannot say CANCELLED: a seminar series whose second session
    was called off invites to the others only."""
    event = make_event(kind="networking", sessions=2)
    services.cancel_session(staff, event.sessions[1], now=NOW)
    db.session.commit()
    text = ical.invite(event.sessions, make_user())
    assert_itip(text, "REQUEST")
    assert [v.uid.value for v in vobject.readOne(text.decode()).vevent_list] == [
        ical.session_uid(event.sessions[0])]


@pytest.mark.xfail(strict=True, reason="A series registered as a whole is invited with one VEVENT per "
                   "session, each with its own UID; RFC 5546 wants one UID per REQUEST or CANCEL (a "
                   "recurrence set). Not changed yet: calendar replies map each session UID.")
def test_a_series_invite_is_one_iTIP_object(db, make_event, make_user):
    event = make_event(kind="series", sessions=3)
    assert_itip(ical.invite(event.sessions, make_user()), "REQUEST")
