"""Calendar downloads through the test client, checked against the invite a
participant got by mail for registering through the web page: the same
stable UID everywhere, PUBLISH for downloads, read back with vobject."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar
import recurring_ical_events
import vobject

from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role

ONLINE = "https://meet.example.org/mia-do"
SPRING = date(2027, 3, 30)   # 18:00 Berlin = 16:00 UTC
AUTUMN = date(2027, 11, 2)   # 18:00 Berlin = 17:00 UTC


def make_event(db, staff, days, *, kind="seminar", publish=True):
    event = services.create_event(staff, EventData(kind=kind, title="Kalender-Workshop", capacity=5,
                                                   description="Wie Einladungen ankommen."))
    for day in days:
        services.add_session(staff, event, SessionData(day=day, start=time(18), end=time(20),
                                                       online_url=ONLINE))
    if publish:
        services.publish_event(staff, event)
    db.session.commit()
    return event


def calendar_of(msg, method):
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == method
    cal = vobject.readOne(parts[0].get_content())
    assert cal.method.value == method
    return cal


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".ics" in response.headers["Content-Disposition"]
    data = response.get_data()
    cal = vobject.readOne(data.decode("utf-8"))
    assert cal.method.value == "PUBLISH"
    assert [tz.tzid.value for tz in cal.vtimezone_list] == ["Europe/Berlin"]
    for vevent in cal.vevent_list:
        assert not hasattr(vevent, "attendee")  # a download names nobody
    return cal, data


def test_downloads_carry_the_uids_of_the_invite(app, db, client, make_user, login, outbox):
    staff = make_user(Role.STAFF)
    event = make_event(db, staff, [SPRING, AUTUMN])
    spring, autumn = event.sessions
    member = make_user()
    login(member)
    outbox.clear()
    slot = next(s for s in event.slots if s.session_id == autumn.id)
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register", data={})
    assert response.status_code == 302

    [mail] = [m for m in outbox if m["To"] == member.email]
    [invited] = calendar_of(mail, "REQUEST").vevent_list
    assert invited.uid.value == f"session-{autumn.id}@localhost"
    assert invited.dtstart.value.astimezone(UTC) == datetime(2027, 11, 2, 17, tzinfo=UTC)
    assert [a.value for a in invited.attendee_list] == [f"mailto:{member.email}"]
    assert invited.url.value == f"http://localhost/events/{event.id}"

    anonymous = app.test_client()
    cal, data = download(anonymous, f"/events/{event.id}/calendar.ics")
    by_uid = {v.uid.value: v for v in cal.vevent_list}
    assert set(by_uid) == {f"session-{spring.id}@localhost", f"session-{autumn.id}@localhost"}
    assert by_uid[invited.uid.value].sequence.value == invited.sequence.value
    assert {uid: v.dtstart.value.astimezone(UTC) for uid, v in by_uid.items()} == {
        f"session-{spring.id}@localhost": datetime(2027, 3, 30, 16, tzinfo=UTC),
        f"session-{autumn.id}@localhost": datetime(2027, 11, 2, 17, tzinfo=UTC)}
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(
        datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    assert sorted(e["DTSTART"].dt.astimezone(UTC) for e in found) == [
        datetime(2027, 3, 30, 16, tzinfo=UTC), datetime(2027, 11, 2, 17, tzinfo=UTC)]

    cal, _ = download(anonymous, f"/sessions/{autumn.id}/calendar.ics")
    [single] = cal.vevent_list
    assert single.uid.value == invited.uid.value
    assert single.dtstart.value.astimezone(UTC) == datetime(2027, 11, 2, 17, tzinfo=UTC)
    assert single.url.value == f"http://localhost/events/{event.id}"


def test_download_after_a_change_keeps_the_uid_and_raises_the_sequence(app, db, make_user, outbox):
    staff = make_user(Role.STAFF)
    event = make_event(db, staff, [SPRING])
    [session] = event.sessions
    client = app.test_client()
    [before] = download(client, f"/sessions/{session.id}/calendar.ics")[0].vevent_list

    services.update_session(staff, session, SessionData(day=SPRING, start=time(19), end=time(21),
                                                        online_url=ONLINE))
    db.session.commit()
    [after] = download(client, f"/sessions/{session.id}/calendar.ics")[0].vevent_list
    assert after.uid.value == before.uid.value
    assert int(after.sequence.value) == int(before.sequence.value) + 1
    assert after.dtstart.value.astimezone(UTC) == datetime(2027, 3, 30, 17, tzinfo=UTC)

    services.cancel_session(staff, session)
    db.session.commit()
    [cancelled] = download(client, f"/sessions/{session.id}/calendar.ics")[0].vevent_list
    assert cancelled.uid.value == before.uid.value
    assert cancelled.status.value == "CANCELLED"
    assert int(cancelled.sequence.value) == int(after.sequence.value) + 1


def test_draft_event_downloads_are_hidden_from_anonymous_visitors(app, db, client, make_user, login):
    staff = make_user(Role.STAFF)
    event = make_event(db, staff, [SPRING], publish=False)
    [session] = event.sessions
    anonymous = app.test_client()
    assert anonymous.get(f"/events/{event.id}/calendar.ics").status_code == 404
    assert anonymous.get(f"/sessions/{session.id}/calendar.ics").status_code == 404
    assert anonymous.get("/sessions/999999/calendar.ics").status_code == 404

    member = make_user()
    login(member)
    assert client.get(f"/events/{event.id}/calendar.ics").status_code == 404
    assert client.get(f"/sessions/{session.id}/calendar.ics").status_code == 404


# --- RFC 5546: every calendar file the app serves or mails -----------------------------------

def _calendar_parts(outbox):
    """(method, text) of every calendar in the mails: the text/calendar part and the .ics attachment."""
    found = []
    for msg in outbox:
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                found.append((part.get_param("method"), part.get_content()))
            elif (part.get_filename() or "").endswith(".ics"):
                text = part.get_content()
                found.append((None, text.decode("utf-8") if isinstance(text, bytes) else text))
    return found


def test_every_feed_download_and_mailed_calendar_keeps_rfc_5546(app, db, client, make_user, login, outbox):
    """Invites (REQUEST) for a seminar and each date of a meeting, an update,
    a person leaving and a session called off (CANCEL); then every public
    feed, the personal feed and each download (PUBLISH)."""
    from sqlalchemy import select

    from miado_events.calendar import feeds
    from miado_events.events import registration as reg
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    from ..itip import assert_itip

    staff = make_user(Role.STAFF)
    seminar = make_event(db, staff, [AUTUMN])
    meeting = make_event(db, staff, [SPRING, AUTUMN], kind="networking")
    series = make_event(db, staff, [SPRING, AUTUMN], kind="series")
    member, other = make_user(), make_user()
    login(member)
    outbox.clear()
    for event, slot in [(seminar, seminar.slots[0]), *[(meeting, s) for s in meeting.slots]]:
        assert client.post(f"/events/{event.id}/slots/{slot.id}/register", data={}).status_code == 302
    reg.register_participant(other, other, seminar.slots[0])
    db.session.commit()
    spring, autumn = meeting.sessions
    services.update_session(staff, spring, SessionData(day=SPRING, start=time(17), end=time(20),
                                                       online_url=ONLINE))
    db.session.commit()
    leaving = db.session.scalar(select(Registration).where(Registration.user_id == other.id))
    reg.cancel_registration(other, leaving)
    services.cancel_session(staff, autumn)
    db.session.commit()

    mailed = _calendar_parts(outbox)
    assert sorted(m for m, _ in mailed if m) == ["CANCEL", "CANCEL", "REQUEST", "REQUEST", "REQUEST",
                                                  "REQUEST", "REQUEST"]
    for method, text in mailed:
        assert_itip(text, method)

    token = feeds.ensure_feed_token(db.session.get(User, member.id))
    db.session.commit()
    urls = ["/feeds/public.ics", "/feeds/seminar.ics", "/feeds/networking.ics", "/feeds/series.ics",
            f"/feeds/me/{token}.ics"]
    for event in (seminar, meeting, series):
        urls.append(f"/events/{event.id}/calendar.ics")
        urls += [f"/sessions/{s.id}/calendar.ics" for s in event.sessions]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_itip(response.get_data(), "PUBLISH")
