"""Calendar feeds: public (all and per kind) and private per person, with
conditional requests and a constant number of SQL statements."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone

import pytest
import vobject
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role, User
from miado_events.models.events import EventSession, Slot, Venue

from ..conftest import count_statements

ONLINE = "https://meet.example.org/x"


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)


def make_event(db, staff, *, kind="seminar", sessions=1, publish=True, title=None):
    event = services.create_event(staff, EventData(kind=kind, title=title or f"Feed {kind}", capacity=10))
    day = utcnow().date() + timedelta(days=10)
    for i in range(sessions):
        services.add_session(staff, event, SessionData(day=day + timedelta(days=i), start=time(18),
                                                      end=time(20), online_url=ONLINE))
    if publish:
        services.publish_event(staff, event)
    db.session.commit()
    return event


def vevents(response):
    calendar = vobject.readOne(response.get_data(as_text=True))
    return list(getattr(calendar, "vevent_list", []))


@contextmanager
def fresh_count(db):
    """Statements of the next request, starting with an empty session."""
    db.session.remove()
    with count_statements(db.engine) as statements:
        yield statements


def test_public_feed_lists_published_sessions_only(client, db, staff):
    make_event(db, staff, title="Published seminar", sessions=2)
    make_event(db, staff, title="Draft seminar", publish=False)
    response = client.get("/feeds/public.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text and "X-PUBLISHED-TTL:PT1H" in text
    summaries = [v.summary.value for v in vevents(response)]
    assert summaries == ["Published seminar", "Published seminar"]


def test_kind_feed_filters_and_unknown_kind_is_404(client, db, staff):
    make_event(db, staff, kind="seminar", title="A seminar")
    make_event(db, staff, kind="networking", title="A meeting")
    assert [v.summary.value for v in vevents(client.get("/feeds/networking.ics"))] == ["A meeting"]
    assert client.get("/feeds/concerts.ics").status_code == 404


def test_conditional_request_answers_304_until_something_changes(client, db, staff):
    event_ = make_event(db, staff)
    first = client.get("/feeds/public.ics")
    etag = first.headers["ETag"]
    again = client.get("/feeds/public.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    session = event_.sessions[0]
    services.update_session(staff, session, SessionData(
        day=session.starts_at.date(), start=time(17), end=time(20), online_url=ONLINE))
    db.session.commit()
    changed = client.get("/feeds/public.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_if_modified_since_answers_304_until_a_session_changes(client, db, staff):
    event_ = make_event(db, staff)
    first = client.get("/feeds/public.ics")
    modified = first.headers["Last-Modified"]
    assert client.get("/feeds/public.ics", headers={"If-Modified-Since": modified}).status_code == 304
    import time as clock
    clock.sleep(1.1)  # HTTP dates have whole seconds
    session = event_.sessions[0]
    services.update_session(staff, session, SessionData(
        day=session.starts_at.date(), start=time(17), end=time(20), online_url=ONLINE))
    db.session.commit()
    assert client.get("/feeds/public.ics", headers={"If-Modified-Since": modified}).status_code == 200


def test_personal_feed_shows_own_confirmed_sessions_and_renewing_retires_the_old_link(
        client, db, staff, make_user, login):
    mine = make_event(db, staff, title="Mine")
    make_event(db, staff, title="Not mine")
    member = make_user()
    reg.register_participant(member, member, mine.slots[0])
    db.session.commit()
    login(member)
    page = client.get("/my/calendar").get_data(as_text=True)
    token = db.session.get(User, member.id).feed_token
    assert token and f"webcal://localhost/feeds/me/{token}.ics" in page
    response = client.get(f"/feeds/me/{token}.ics")
    assert response.headers["Cache-Control"].startswith("private")
    assert [v.summary.value for v in vevents(response)] == ["Mine"]
    client.post("/my/calendar/renew")
    new_token = db.session.get(User, member.id).feed_token
    assert new_token != token
    assert client.get(f"/feeds/me/{token}.ics").status_code == 404
    assert client.get(f"/feeds/me/{new_token}.ics").status_code == 200


def test_unknown_feed_token_is_404(client):
    assert client.get("/feeds/me/not-a-token.ics").status_code == 404


def test_calendar_pages_link_their_feed(client):
    html = client.get("/calendar").get_data(as_text=True)
    assert '<link rel="alternate" type="text/calendar"' in html and "/feeds/public.ics" in html


def _bulk_sessions(db, event_, count):
    """Sessions at their own venues, so a lazy load per session would show."""
    start = datetime.now(timezone.utc) + timedelta(days=5)
    for i in range(count):
        venue = Venue(name=f"Ort {i}", address=f"Beispielweg {i}, 44135 Dortmund")
        session = EventSession(event=event_, starts_at=start + timedelta(hours=i), venue=venue,
                               ends_at=start + timedelta(hours=i, minutes=90), online_url=ONLINE)
        db.session.add(session)
        db.session.add(Slot(event=event_, session=session, capacity=event_.capacity))
    db.session.commit()


def test_public_feed_uses_a_constant_number_of_statements(client, db, staff):
    staff_id = staff.id
    few_event = make_event(db, staff, kind="networking", sessions=1)
    _bulk_sessions(db, few_event, 20)
    with fresh_count(db) as few:
        assert len(vevents(client.get("/feeds/public.ics"))) == 21
    staff = db.session.get(User, staff_id)  # the counter started a fresh session
    _bulk_sessions(db, make_event(db, staff, kind="networking", sessions=1), 1979)
    with fresh_count(db) as many:
        response = client.get("/feeds/public.ics")
    assert response.get_data(as_text=True).count("BEGIN:VEVENT") == 2001
    # The data version, the shared copy (feed_copies), the sessions, their agendas, storing the copy.
    assert len(many) == len(few) <= 5, many
    etag = response.headers["ETag"]
    with fresh_count(db) as cached:
        assert client.get("/feeds/public.ics", headers={"If-None-Match": etag}).status_code == 304
    assert len(cached) == 1  # only the data version (the feed is kept)


def test_a_feed_asked_again_is_not_built_again_but_every_change_shows(client, db, staff, make_user):
    """A feed is kept with the data version it was built for: asked again it
    is served without building it (fewer statements), and a change builds it again."""
    event_id = make_event(db, staff, title="Kept seminar").id
    with fresh_count(db) as first:
        body = client.get("/feeds/public.ics").get_data()
    with fresh_count(db) as again:
        assert client.get("/feeds/public.ics").get_data() == body
    assert len(again) < len(first)

    session = db.session.scalar(select(EventSession).where(EventSession.event_id == event_id))
    services.update_session(db.session.merge(staff), session, SessionData(
        day=session.starts_at.date(), start=time(17), end=time(20), online_url=ONLINE))
    db.session.commit()
    changed = client.get("/feeds/public.ics")
    assert changed.get_data() != body
    assert [v.dtstart.value.astimezone(timezone.utc) for v in vevents(changed)] == [session.starts_at]


def test_a_corrected_venue_address_reaches_the_feed(client, db, staff):
    venue = services.save_venue(staff, services.VenueData(name="Dietrich-Keuning-Haus",
                                                          address="Leopoldstraße 50, 44147 Dortmund"))
    event_ = services.create_event(staff, EventData(kind="seminar", title="Venue seminar", capacity=10))
    services.add_session(staff, event_, SessionData(day=utcnow().date() + timedelta(days=10), start=time(18),
                                                   end=time(20), venue_id=venue.id))
    services.publish_event(staff, event_)
    db.session.commit()
    first = client.get("/feeds/public.ics")
    assert [v.location.value for v in vevents(first)] == ["Dietrich-Keuning-Haus, Leopoldstraße 50, 44147 Dortmund"]

    services.save_venue(staff, services.VenueData(name="Dietrich-Keuning-Haus",
                                                  address="Leopoldstraße 50-58, 44147 Dortmund"), venue)
    db.session.commit()
    again = client.get("/feeds/public.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert [v.location.value for v in vevents(again)] == ["Dietrich-Keuning-Haus, Leopoldstraße 50-58, 44147 Dortmund"]
