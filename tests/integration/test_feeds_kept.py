"""Calendar feeds built once per change (issue #21, point 3): each process
keeps the feeds it built and serves them again while the data version and
the date are the ones they were built for; the ETag is the hash of what the
feed shows, so a write that does not touch a feed leaves its ETag alone.

Before, every fetch of a personal feed ran two aggregates (the person's
registrations, their sessions) to compute an ETag that changed with any
write to those rows, whether the feed showed it or not."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest
import vobject
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role, User
from miado_events.models.events import Event, EventSession, Registration, Slot

from ..conftest import count_statements

ONLINE = "https://meet.example.org/kept"
#: Statements of a personal feed fetch when its copy is kept: the owner and the data version.
WARM_PERSONAL_FETCH = 2


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)


def make_event(db, staff, title: str, *, capacity: int = 10, waitlist: bool = True) -> Event:
    event = services.create_event(staff, EventData(kind="seminar", title=title, capacity=capacity,
                                                   waitlist_enabled=waitlist))
    services.add_session(staff, event, SessionData(day=utcnow().date() + timedelta(days=10), start=time(18),
                                                  end=time(20), online_url=ONLINE))
    services.publish_event(staff, event)
    db.session.commit()
    return event


def summaries(response) -> list[str]:
    calendar = vobject.readOne(response.get_data(as_text=True))
    return sorted(v.summary.value for v in getattr(calendar, "vevent_list", []))


def feed_url(db, user_id: int) -> str:
    from miado_events.calendar import feeds

    user = db.session.get(User, user_id)
    token = feeds.ensure_feed_token(user)
    db.session.commit()
    return f"/feeds/me/{token}.ics"


@pytest.fixture
def member(make_user):
    return make_user(name="Mina Mitglied")


def test_a_registration_confirmed_or_cancelled_shows_in_the_next_fetch(client, db, staff, member):
    first = make_event(db, staff, "Erstes Seminar")
    second = make_event(db, staff, "Zweites Seminar")
    reg.register_participant(member, member, first.slots[0])
    db.session.commit()
    url = feed_url(db, member.id)
    before = client.get(url)
    assert summaries(before) == ["Erstes Seminar"]
    assert summaries(client.get(url)) == ["Erstes Seminar"]  # now kept

    reg.register_participant(member, member, db.session.get(Slot, second.slots[0].id))
    db.session.commit()
    confirmed = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert confirmed.status_code == 200 and summaries(confirmed) == ["Erstes Seminar", "Zweites Seminar"]

    registration = db.session.scalar(select(Registration).where(Registration.user_id == member.id,
                                                                Registration.event_id == first.id))
    reg.cancel_registration(db.session.get(User, member.id), registration)
    db.session.commit()
    cancelled = client.get(url, headers={"If-None-Match": confirmed.headers["ETag"]})
    assert cancelled.status_code == 200 and summaries(cancelled) == ["Zweites Seminar"]


def test_a_write_the_feed_does_not_show_keeps_its_etag_and_clients_get_304(client, db, staff, member,
                                                                         make_user):
    """A new capacity, someone else's registration, the person's own place
    on a waiting list: the feed's data version changes, what it shows does not."""
    event = make_event(db, staff, "Volles Seminar", capacity=1)
    reg.register_participant(member, member, event.slots[0])
    db.session.commit()
    url = feed_url(db, member.id)
    first = client.get(url)
    etag = first.headers["ETag"]
    public_etag = client.get("/feeds/public.ics").headers["ETag"]

    event = db.session.get(Event, event.id)
    data = EventData(kind="seminar", title="Volles Seminar", capacity=1, waitlist_enabled=True)
    services.update_event(db.session.get(User, staff.id), event, replace(data, capacity=2))
    other = make_event(db, db.session.get(User, staff.id), "Anderes Seminar", capacity=1)
    someone = make_user(name="Sami Sonstwer")
    reg.register_participant(someone, someone, other.slots[0])
    reg.register_participant(member, db.session.get(User, member.id), other.slots[0])  # waiting list
    db.session.commit()
    assert db.session.scalar(select(Registration.status).where(
        Registration.user_id == member.id, Registration.event_id == other.id)) == "waitlisted"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert client.get(url).get_data() == first.get_data()
    public = client.get("/feeds/public.ics", headers={"If-None-Match": public_etag})
    assert public.status_code == 200  # the new event shows in the public feed


def test_renewing_the_link_retires_the_old_url_and_the_new_one_is_current(client, db, staff, member, login):
    event = make_event(db, staff, "Erneuert")
    reg.register_participant(member, member, event.slots[0])
    db.session.commit()
    old_url = feed_url(db, member.id)
    assert summaries(client.get(old_url)) == ["Erneuert"]  # kept under the old token
    login(member)
    client.post("/my/calendar/renew")
    client.get("/logout")
    new_url = feed_url(db, member.id)
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert summaries(client.get(new_url)) == ["Erneuert"]

    later = make_event(db, db.session.get(User, staff.id), "Danach")
    reg.register_participant(member, db.session.get(User, member.id), later.slots[0])
    db.session.commit()
    assert client.get(old_url).status_code == 404
    assert summaries(client.get(new_url)) == ["Danach", "Erneuert"]


def test_a_new_language_gives_the_feed_in_that_language_at_once(client, db, staff, member, login):
    """Changing the language writes only the person's row, which no data
    version watches: the kept copy must not be served in the old language."""
    event = make_event(db, staff, "Sprachkurs")
    reg.register_participant(member, member, event.slots[0])
    db.session.commit()
    url = feed_url(db, member.id)
    english = client.get(url)
    assert english.headers["Content-Language"] == "en"
    assert "X-WR-CALNAME:My events (MIA-DO Events)" in english.get_data(as_text=True)
    login(member)
    client.post("/language", data={"locale": "de", "next": "/"})
    client.get("/logout")
    assert db.session.get(User, member.id).locale == "de"
    german = client.get(url, headers={"If-None-Match": english.headers["ETag"]})
    assert german.status_code == 200 and german.headers["Content-Language"] == "de"
    assert "X-WR-CALNAME:Meine Termine (MIA-DO Events)" in german.get_data(as_text=True)


def test_a_kept_personal_feed_costs_the_owner_and_the_data_version(client, db, staff, member):
    event = make_event(db, staff, "Gezählt")
    reg.register_participant(member, member, event.slots[0])
    db.session.commit()
    url = feed_url(db, member.id)
    etag = client.get(url).headers["ETag"]
    db.session.remove()
    with count_statements(db.engine) as warm:
        assert summaries(client.get(url)) == ["Gezählt"]
    with count_statements(db.engine) as not_modified:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(warm) == len(not_modified) == WARM_PERSONAL_FETCH, warm + not_modified
    client.get("/feeds/public.ics")
    with count_statements(db.engine) as public:
        client.get("/feeds/public.ics")
    assert len(public) == 1, public  # the data version


def test_a_feed_is_the_same_all_day_a_session_leaves_it_on_the_next_day(client, db, staff):
    """The last month is counted from the start of the day, so a kept copy
    stays true until midnight."""
    event = make_event(db, staff, "Vergangen")
    midnight = datetime.combine(utcnow().date(), time(), tzinfo=timezone.utc)
    for minutes, label in ((1, "stays today"), (-1, "left yesterday")):
        ends = midnight - timedelta(days=30) + timedelta(minutes=minutes)
        db.session.add(EventSession(event=event, starts_at=ends - timedelta(hours=2), ends_at=ends,
                                    online_url=f"{ONLINE}/{label.replace(' ', '-')}"))
    db.session.commit()
    text = client.get("/feeds/public.ics").get_data(as_text=True)
    assert "stays-today" in text and "left-yesterday" not in text


def test_a_current_client_gets_its_304_without_a_build_when_the_body_is_no_longer_kept(
        client, db, app, staff, member):
    """A process keeps the bodies of a few hundred feeds but the ETags of
    thousands: a calendar app whose copy is current costs no build."""
    event = make_event(db, staff, "Viele Abos")
    reg.register_participant(member, member, event.slots[0])
    db.session.commit()
    url = feed_url(db, member.id)
    first = client.get(url)
    app.extensions["miado_feed_bodies"].bodies.clear()  # as if many other feeds had pushed it out
    db.session.remove()
    with count_statements(db.engine) as statements:
        current = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert current.status_code == 304 and current.headers["ETag"] == first.headers["ETag"]
    assert len(statements) == WARM_PERSONAL_FETCH, statements
    again = client.get(url)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Last-Modified"] == first.headers["Last-Modified"]
