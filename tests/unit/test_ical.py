"""The calendar parts of the mails and the downloads, read back with parsers
other than the icalendar library that writes them: vobject (with the
VTIMEZONE the calendar carries) and recurring_ical_events."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import recurring_ical_events
import vobject

from miado_events.calendar import ical
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import SessionData

from .events_support import NOW, ONLINE, register, slot_of

SPRING = date(2027, 3, 30)   # CEST: 18:00 Berlin = 16:00 UTC
AUTUMN = date(2027, 11, 2)   # CET:  18:00 Berlin = 17:00 UTC


# --- helpers ---------------------------------------------------------------------------

def calendar_part(msg):
    """The ``text/calendar`` alternative of a mail, or None."""
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) <= 1
    return parts[0] if parts else None


def ics_attachments(msg):
    return [p for p in msg.walk() if (p.get_filename() or "").endswith(".ics")]


def read(text: str | bytes):
    """Parse with vobject (independent of the writer)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return vobject.readOne(text)


def invite_of(msg, method: str):
    """The calendar of ``msg``, checked to be sent as ``method`` both as the
    alternative part and as the attachment, parsed by vobject."""
    part = calendar_part(msg)
    assert part is not None, f"no text/calendar part in mail to {msg['To']}"
    assert part.get_param("method") == method
    assert f"method={method}" in part["Content-Type"].replace('"', "")
    text = part.get_content()
    attachments = ics_attachments(msg)
    assert len(attachments) == 1
    assert attachments[0].get_content().decode("utf-8").splitlines() == text.splitlines()
    cal = read(text)
    assert cal.method.value == method
    return cal


def only_mail_to(outbox, user):
    mails = [m for m in outbox if m["To"] == user.email]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    return mails[0]


def utc_start(vevent) -> datetime:
    value = vevent.dtstart.value
    assert value.tzinfo is not None, "DTSTART must not be floating"
    return value.astimezone(UTC)


def event_with_sessions(db, staff, make_event, days, kind="series", capacity=5, hour=18):
    event = make_event(kind=kind, capacity=capacity, sessions=0, publish=False)
    for day in days:
        services.add_session(staff, event, SessionData(day=day, start=time(hour), end=time(hour + 2),
                                                       online_url=ONLINE))
    services.publish_event(staff, event, now=NOW - timedelta(days=30))
    db.session.commit()
    return event


# --- 1. times and time zone ------------------------------------------------------------

def test_download_keeps_berlin_times_across_dst(db, staff, make_event):
    event = event_with_sessions(db, staff, make_event, [SPRING, AUTUMN])
    data = ical.event_download(event)
    cal = read(data)

    assert cal.method.value == "PUBLISH"
    assert [tz.tzid.value for tz in cal.vtimezone_list] == ["Europe/Berlin"]
    starts = sorted(utc_start(v) for v in cal.vevent_list)
    assert starts == [datetime(2027, 3, 30, 16, tzinfo=UTC), datetime(2027, 11, 2, 17, tzinfo=UTC)]
    text = data.decode("utf-8")
    assert len(re.findall(r"^DTSTART;TZID=Europe/Berlin:2027", text, re.MULTILINE)) == 2
    assert len(re.findall(r"^DTEND;TZID=Europe/Berlin:2027", text, re.MULTILINE)) == 2
    for vevent in cal.vevent_list:
        assert vevent.dtend.value - vevent.dtstart.value == timedelta(hours=2)
    # The embedded VTIMEZONE itself gives the right offsets in summer and winter.
    tz = cal.vevent_list[0].dtstart.value.tzinfo
    assert tz.utcoffset(datetime(2027, 7, 1, 12)) == timedelta(hours=2)
    assert tz.utcoffset(datetime(2027, 1, 15, 12)) == timedelta(hours=1)

    found = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(
        datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))
    instants = sorted(e["DTSTART"].dt.astimezone(UTC) for e in found)
    assert instants == starts
    # Nothing between the two sessions (the spring one ends at 18:00 UTC).
    assert recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(
        datetime(2027, 3, 30, 18, 1, tzinfo=UTC), datetime(2027, 11, 2, 16, 59, tzinfo=UTC)) == []


def test_session_download_has_one_event_at_the_right_instant(db, staff, make_event):
    event = event_with_sessions(db, staff, make_event, [SPRING, AUTUMN], kind="seminar")
    autumn = event.sessions[1]
    cal = read(ical.session_download(autumn))
    assert len(cal.vevent_list) == 1
    assert utc_start(cal.vevent_list[0]) == datetime(2027, 11, 2, 17, tzinfo=UTC)
    assert cal.vevent_list[0].uid.value == f"session-{autumn.id}@localhost"


def test_invite_keeps_berlin_times_across_dst(db, staff, make_event, make_user, outbox):
    event = event_with_sessions(db, staff, make_event, [SPRING, AUTUMN])
    member = make_user()
    outbox.clear()
    register(db, member, slot_of(event))

    cal = invite_of(only_mail_to(outbox, member), "REQUEST")
    assert [tz.tzid.value for tz in cal.vtimezone_list] == ["Europe/Berlin"]
    assert sorted(utc_start(v) for v in cal.vevent_list) == [
        datetime(2027, 3, 30, 16, tzinfo=UTC), datetime(2027, 11, 2, 17, tzinfo=UTC)]

    part = calendar_part(only_mail_to(outbox, member))
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(part.get_content())).between(
        datetime(2027, 11, 2, 16, 30, tzinfo=UTC), datetime(2027, 11, 2, 17, 30, tzinfo=UTC))
    assert [e["DTSTART"].dt.astimezone(UTC) for e in found] == [datetime(2027, 11, 2, 17, tzinfo=UTC)]


# --- 2. invite on a confirmed registration ---------------------------------------------

def test_confirmed_registration_for_a_series_invites_to_every_session(db, staff, make_event, make_user,
                                                                     outbox):
    event = make_event(kind="series", capacity=3, sessions=4)
    member = make_user(name="Ayşe Yılmaz")
    outbox.clear()
    outcome = register(db, member, slot_of(event))
    assert outcome.registration.status == "confirmed"

    msg = only_mail_to(outbox, member)
    cal = invite_of(msg, "REQUEST")
    vevents = cal.vevent_list
    assert len(vevents) == 4
    assert sorted(v.uid.value for v in vevents) == sorted(
        f"session-{s.id}@localhost" for s in event.sessions)
    for vevent in vevents:
        assert re.fullmatch(r"session-\d+@localhost", vevent.uid.value)
        assert vevent.sequence.value == "0"
        assert vevent.status.value == "CONFIRMED"
        assert vevent.organizer.value.lower().startswith("mailto:")
        attendees = [a.value for a in vevent.attendee_list]
        assert attendees == [f"mailto:{member.email}"]
        assert vevent.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert vevent.attendee.params["RSVP"] == ["TRUE"]
        assert vevent.url.value == f"http://localhost/events/{event.id}"
        assert vevent.summary.value == event.title
    # Weekly at 18:00 Berlin from 10 March: the fourth is after the change to
    # summer time (28 March), so one hour earlier in UTC.
    assert sorted(utc_start(v) for v in vevents) == [
        datetime(2027, 3, 10, 17, tzinfo=UTC), datetime(2027, 3, 17, 17, tzinfo=UTC),
        datetime(2027, 3, 24, 17, tzinfo=UTC), datetime(2027, 3, 31, 16, tzinfo=UTC)]


def test_waitlisted_registration_gets_no_invite(db, make_event, make_user, outbox):
    event = make_event(capacity=1)
    register(db, make_user(), slot_of(event))
    waiting = make_user()
    outbox.clear()
    assert register(db, waiting, slot_of(event)).registration.status == "waitlisted"
    msg = only_mail_to(outbox, waiting)
    assert calendar_part(msg) is None
    assert ics_attachments(msg) == []


# --- 3. change of time -----------------------------------------------------------------

def test_moving_a_session_sends_one_update_with_a_higher_sequence(db, staff, make_event, make_user,
                                                                  outbox):
    event = make_event(capacity=2)
    session = event.sessions[0]
    seated = [make_user(), make_user()]
    waiting = make_user()
    outbox.clear()
    for user in seated + [waiting]:
        register(db, user, slot_of(event))
    invites = {u.email: invite_of(only_mail_to(outbox, u), "REQUEST").vevent for u in seated}
    uid = f"session-{session.id}@localhost"
    assert all(v.uid.value == uid for v in invites.values())

    outbox.clear()
    services.update_session(staff, session, SessionData(day=date(2027, 3, 11), start=time(19),
                                                        end=time(21), online_url=ONLINE))
    db.session.commit()

    assert sorted(m["To"] for m in outbox) == sorted(u.email for u in seated + [waiting])
    for user in seated:
        cal = invite_of(only_mail_to(outbox, user), "REQUEST")
        [vevent] = cal.vevent_list
        assert vevent.uid.value == uid
        assert int(vevent.sequence.value) > int(invites[user.email].sequence.value)
        assert utc_start(vevent) == datetime(2027, 3, 11, 18, tzinfo=UTC)
        assert vevent.dtend.value.astimezone(UTC) == datetime(2027, 3, 11, 20, tzinfo=UTC)
        assert [a.value for a in vevent.attendee_list] == [f"mailto:{user.email}"]
    msg = only_mail_to(outbox, waiting)
    assert calendar_part(msg) is None
    assert ics_attachments(msg) == []

    # A download now carries the same UID, the new time and the same SEQUENCE.
    [download] = read(ical.session_download(session)).vevent_list
    assert download.uid.value == uid
    assert download.sequence.value == vevent.sequence.value
    assert utc_start(download) == datetime(2027, 3, 11, 18, tzinfo=UTC)


# --- 4. cancellations ------------------------------------------------------------------

def test_cancelling_a_registration_sends_a_cancel_with_the_same_uid(db, make_event, make_user, outbox):
    event = make_event(kind="series", capacity=1, sessions=2)
    member, waiting = make_user(), make_user()
    outbox.clear()
    registration = register(db, member, slot_of(event)).registration
    register(db, waiting, slot_of(event))
    invite = invite_of(only_mail_to(outbox, member), "REQUEST")

    outbox.clear()
    reg.cancel_registration(member, registration, now=NOW)
    db.session.commit()

    cal = invite_of(only_mail_to(outbox, member), "CANCEL")
    assert ics_attachments(only_mail_to(outbox, member))[0].get_filename() == "cancel.ics"
    assert sorted(v.uid.value for v in cal.vevent_list) == sorted(v.uid.value for v in invite.vevent_list)
    for vevent in cal.vevent_list:
        # The sessions still take place: the person is uninvited, and RFC 5546
        # says such a CANCEL carries no STATUS (CANCELLED would cancel the session).
        assert "status" not in vevent.contents
        assert [a.value for a in vevent.attendee_list] == [f"mailto:{member.email}"]
    # The freed seat goes to the waiting person, with an invite.
    promoted = invite_of(only_mail_to(outbox, waiting), "REQUEST")
    assert len(promoted.vevent_list) == 2


def test_leaving_the_waiting_list_sends_no_cancel(db, make_event, make_user, outbox):
    event = make_event(capacity=1)
    register(db, make_user(), slot_of(event))
    waiting = make_user()
    registration = register(db, waiting, slot_of(event)).registration
    outbox.clear()
    reg.cancel_registration(waiting, registration, now=NOW)
    db.session.commit()
    msg = only_mail_to(outbox, waiting)
    assert calendar_part(msg) is None
    assert ics_attachments(msg) == []


def test_cancelling_a_session_sends_a_cancel_to_each_confirmed_participant(
        db, staff, make_event, make_user, outbox):
    event = make_event(capacity=2)
    session = event.sessions[0]
    seated = [make_user(), make_user()]
    waiting = make_user()
    for user in seated + [waiting]:
        register(db, user, slot_of(event))
    outbox.clear()
    services.cancel_session(staff, session, now=NOW)
    db.session.commit()

    assert sorted(m["To"] for m in outbox) == sorted(u.email for u in seated + [waiting])
    for user in seated:
        [vevent] = invite_of(only_mail_to(outbox, user), "CANCEL").vevent_list
        assert vevent.uid.value == f"session-{session.id}@localhost"
        assert vevent.status.value == "CANCELLED"
        assert int(vevent.sequence.value) >= 1
    assert calendar_part(only_mail_to(outbox, waiting)) is None


def test_cancelling_an_event_sends_one_cancel_per_person(db, staff, make_event, make_user, outbox):
    event = make_event(capacity=3, sessions=2)
    both, one = make_user(), make_user()
    register(db, both, slot_of(event, 0))
    register(db, both, slot_of(event, 1))
    register(db, one, slot_of(event, 1))
    outbox.clear()
    services.cancel_event(staff, event, now=NOW)
    db.session.commit()

    assert sorted(m["To"] for m in outbox) == sorted([both.email, one.email])
    cal = invite_of(only_mail_to(outbox, both), "CANCEL")
    assert sorted(v.uid.value for v in cal.vevent_list) == sorted(
        f"session-{s.id}@localhost" for s in event.sessions)
    assert {v.status.value for v in cal.vevent_list} == {"CANCELLED"}
    assert {v.sequence.value for v in cal.vevent_list} == {"1"}
    [vevent] = invite_of(only_mail_to(outbox, one), "CANCEL").vevent_list
    assert vevent.uid.value == f"session-{event.sessions[1].id}@localhost"
    assert vevent.status.value == "CANCELLED"


def test_a_published_vevent_written_once_still_follows_every_change(app, db, staff, make_event):
    """Downloads and feeds reuse a session's serialised VEVENT; a new title,
    a new time or a cancellation still reaches the next download."""
    event = event_with_sessions(db, staff, make_event, [SPRING, AUTUMN], kind="seminar")
    first = ical.event_download(event)
    assert ical.event_download(event).replace(b"\r\n ", b"") == first.replace(b"\r\n ", b"")
    assert len(app.extensions["miado_vevents"].items) == 2

    event.title = "Neuer Titel"
    db.session.commit()
    assert [v.summary.value for v in read(ical.event_download(event)).vevent_list] == ["Neuer Titel"] * 2

    spring = event.sessions[0]
    services.update_session(staff, spring, SessionData(day=SPRING, start=time(17), end=time(20),
                                                      online_url=ONLINE))
    services.cancel_session(staff, event.sessions[1])
    db.session.commit()
    cal = read(ical.event_download(event))
    by_start = sorted((utc_start(v), v.status.value) for v in cal.vevent_list)
    assert by_start == [(datetime(2027, 3, 30, 15, tzinfo=UTC), "CONFIRMED"),
                        (datetime(2027, 11, 2, 17, tzinfo=UTC), "CANCELLED")]
