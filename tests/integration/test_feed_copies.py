"""Calendar feeds built once for all processes (issue #21, point 3): a feed
one process built is stored in ``feed_copies`` and served by every other
process while the data version and the date are those it was built for.

Before, each process kept only what it had built itself: with 4 workers
and thousands of subscribers, nearly every fetch was the first of that
feed in that worker, so the feed was built up to 4 times per change."""
from __future__ import annotations

import contextlib
from datetime import time, timedelta

import pytest
import vobject
from sqlalchemy import select

from miado_events import create_app
from miado_events.calendar import feeds, ical
from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.extensions import db as _db
from miado_events.models.accounts import Role, User
from miado_events.models.events import Event, Slot
from miado_events.models.feeds import SharedFeed
from miado_events.pagecache import current_version
from miado_events.privacy import services as privacy

from ..conftest import FreshGlobalsClient, app_config, count_statements

ONLINE = "https://meet.example.org/shared"
#: A personal feed kept in the process: the owner and the data version ...
KEPT_IN_PROCESS = 2
#: ... kept only in the table: and the shared copy.
KEPT_IN_TABLE = 3


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)


@pytest.fixture
def member(make_user):
    return make_user(name="Mira Mehrfach")


@pytest.fixture
def builds(monkeypatch):
    """The feeds built (calls of ical.build for a feed)."""
    made = []
    build = ical.build

    def counting(*args, **kwargs):
        if kwargs.get("feed"):  # not the invites of the mails
            made.append(kwargs.get("name"))
        return build(*args, **kwargs)

    monkeypatch.setattr(ical, "build", counting)
    return made


@pytest.fixture
def other_process(app, tmp_path):
    """A second app on the same database: another worker process, with its
    own kept feeds."""
    other = create_app(app_config(tmp_path))
    other.test_client_class = FreshGlobalsClient
    yield other
    with other.app_context():
        _db.engine.dispose()


def make_event(db, staff, title: str) -> Event:
    event = services.create_event(staff, EventData(kind="seminar", title=title, capacity=10))
    services.add_session(staff, event, SessionData(day=utcnow().date() + timedelta(days=10), start=time(18),
                                                  end=time(20), online_url=ONLINE))
    services.publish_event(staff, event)
    db.session.commit()
    return event


def registered(db, staff, member, title: str) -> str:
    """``member`` registered for a new event ``title``; their feed's URL."""
    event = make_event(db, db.session.get(User, staff.id), title)
    reg.register_participant(db.session.get(User, member.id), db.session.get(User, member.id),
                             db.session.get(Slot, event.slots[0].id))
    user = db.session.get(User, member.id)
    token = feeds.ensure_feed_token(user)
    db.session.commit()
    return f"/feeds/me/{token}.ics"


def summaries(response) -> list[str]:
    calendar = vobject.readOne(response.get_data(as_text=True))
    return sorted(v.summary.value for v in getattr(calendar, "vevent_list", []))


def forget_kept_in_process(app) -> None:
    """As if the next fetch came to a worker that never built the feed."""
    app.extensions[feeds.STORE].clear()


@contextlib.contextmanager
def statements_of_next_request(db):
    db.session.remove()
    with count_statements(db.engine) as statements:
        yield statements


def shared_row(db, member) -> SharedFeed | None:
    db.session.expire_all()
    return db.session.scalar(select(SharedFeed).where(SharedFeed.user_id == member.id))


def test_a_feed_one_process_built_is_served_by_another_without_building_it(
        app, client, db, staff, member, other_process, builds):
    url = registered(db, staff, member, "Geteilt")
    version = current_version()
    first = client.get(url)
    assert summaries(first) == ["Geteilt"] and len(builds) == 1
    assert shared_row(db, member) is not None
    assert current_version() == version  # storing a copy is no change the pages or feeds show

    second = other_process.test_client().get(url)
    assert second.status_code == 200 and len(builds) == 1  # not built again
    assert second.get_data() == first.get_data()
    assert (second.headers["ETag"], second.headers["Last-Modified"]) == (first.headers["ETag"],
                                                                         first.headers["Last-Modified"])
    public = client.get("/feeds/public.ics?lang=en")
    assert other_process.test_client().get("/feeds/public.ics?lang=en").get_data() == public.get_data()
    assert len(builds) == 2  # the public feed, once


def test_statements_of_a_fetch_kept_in_the_process_and_kept_in_the_table(app, client, db, staff, member, builds):
    url = registered(db, staff, member, "Gezählt")
    etag = client.get(url).headers["ETag"]
    with statements_of_next_request(db) as in_process:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(in_process) == KEPT_IN_PROCESS, in_process

    forget_kept_in_process(app)
    with statements_of_next_request(db) as in_table:
        assert summaries(client.get(url)) == ["Gezählt"]
    assert len(in_table) == KEPT_IN_TABLE, in_table
    forget_kept_in_process(app)
    with statements_of_next_request(db) as not_modified:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(not_modified) == KEPT_IN_TABLE, not_modified
    assert len(builds) == 1

    client.get("/feeds/public.ics")
    forget_kept_in_process(app)
    with statements_of_next_request(db) as public:
        client.get("/feeds/public.ics")
    assert len(public) == 2, public  # the data version and the shared copy
    assert len(builds) == 2


def test_a_write_the_feed_shows_makes_the_shared_copy_unusable_at_once(
        app, client, db, staff, member, other_process):
    url = registered(db, staff, member, "Erstes")
    etag = client.get(url).headers["ETag"]
    assert other_process.test_client().get(url).status_code == 200  # kept by both, and in the table

    registered(db, staff, member, "Zweites")  # committed by this process
    response = other_process.test_client().get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and summaries(response) == ["Erstes", "Zweites"]
    row = shared_row(db, member)
    assert row.version == current_version() and b"Zweites" in row.body
    assert summaries(client.get(url)) == ["Erstes", "Zweites"]


def test_an_older_builder_never_overwrites_a_copy_built_from_newer_data(
        app, client, db, staff, member, monkeypatch, builds):
    url = registered(db, staff, member, "Vorher")
    older = current_version()
    registered(db, staff, member, "Nachher")
    assert summaries(client.get(url)) == ["Nachher", "Vorher"]
    newer = shared_row(db, member).version
    assert newer > older

    # A worker that read the version before that registration was committed
    # builds late and stores what it built.
    forget_kept_in_process(app)
    monkeypatch.setattr(feeds.pagecache, "current_version", lambda: older)
    client.get(url)
    monkeypatch.undo()
    row = shared_row(db, member)
    assert row.version == newer and b"Nachher" in row.body

    forget_kept_in_process(app)
    built = len(builds)
    assert summaries(client.get(url)) == ["Nachher", "Vorher"]
    assert len(builds) == built  # the newer copy, from the table


def test_deleting_the_person_deletes_their_copy(app, client, db, staff, member):
    url = registered(db, staff, member, "Privat")
    client.get(url)
    assert shared_row(db, member) is not None
    member_id = member.id
    privacy.delete_account(db.session.get(User, member_id))
    db.session.commit()
    assert db.session.scalar(select(SharedFeed).where(SharedFeed.name.like(f"me:{member_id}:%"))) is None
    assert client.get(url).status_code == 404


def test_a_renewed_link_and_a_new_language_never_get_the_old_copy_from_the_table(
        app, client, db, staff, member, login):
    old_url = registered(db, staff, member, "Erneuert")
    english = client.get(old_url)
    assert english.headers["Content-Language"] == "en"
    login(member)
    client.post("/my/calendar/renew")
    client.post("/language", data={"locale": "de", "next": "/"})
    client.get("/logout")
    forget_kept_in_process(app)
    assert client.get(old_url).status_code == 404
    new_url = f"/feeds/me/{db.session.get(User, member.id).feed_token}.ics"
    german = client.get(new_url)
    assert german.status_code == 200 and german.headers["Content-Language"] == "de"
    assert "X-WR-CALNAME:Meine Termine (MIA-DO Events)" in german.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(SharedFeed.name).where(SharedFeed.user_id == member.id))) == [
        f"me:{member.id}:de", f"me:{member.id}:en"]


def test_page_cache_off_keeps_no_copy_anywhere(app, client, db, staff, member, builds):
    app.config["PAGE_CACHE"] = False
    url = registered(db, staff, member, "Ohne")
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and len(builds) == 2
    client.get("/feeds/public.ics")
    assert db.session.scalar(select(SharedFeed.name)) is None


def test_the_purge_deletes_copies_built_for_an_earlier_day(app, client, db, staff, member):
    """Such a copy is never served again, and a personal one lists what its person attended."""
    url = registered(db, staff, member, "Gestern")
    client.get(url)
    client.get("/feeds/public.ics")
    privacy.purge(now=utcnow())
    db.session.commit()
    assert shared_row(db, member) is not None  # today's copies stay
    privacy.purge(now=utcnow() + timedelta(days=1))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(SharedFeed.name)) is None
