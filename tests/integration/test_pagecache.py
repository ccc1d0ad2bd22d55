"""The public pages an anonymous visitor sees are kept per process
(miado_events/pagecache.py) and must never be stale: every change to what
they show, in this process or in another one on the same database, and every
moment at which a shown state flips by time alone, builds them anew."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from miado_events import create_app
from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.events.queries import slot_for
from miado_events.extensions import db as _db
from miado_events.models.events import Event

from ..conftest import FreshGlobalsClient, app_config, count_statements
from .test_event_views import make_event, make_venue

EN = {"Accept-Language": "en"}


@pytest.fixture
def seminar(db):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    event = make_event(db, "Vereinsrecht kompakt", [start], capacity=3, venue=make_venue(db))
    return event


def free_seats(html: str) -> str:
    found = re.search(r"(\d+) of (\d+) seats? free|Full", html)
    assert found, html
    return found.group(0)


def statements(db, client, url, **kwargs) -> tuple[int, str]:
    with count_statements(db.engine) as seen:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def take_seat(db, make_user, event, name="Ayşe Demir"):
    person = make_user(name=name)
    reg.register_participant(person, person, slot_for(event.sessions[0]))
    db.session.commit()
    return person


@pytest.mark.parametrize("url", ["/calendar", "/events/{id}"])
def test_a_page_asked_again_is_served_from_the_store(db, client, seminar, url):
    url = url.format(id=seminar.id)
    first_count, first = statements(db, client, url, headers=EN)
    again_count, again = statements(db, client, url, headers=EN)
    assert first_count > 1 and again_count == 1  # the version check only
    assert free_seats(again) == free_seats(first) == "3 of 3 seats free"


@pytest.mark.parametrize("url", ["/calendar", "/events/{id}"])
def test_a_registration_shows_at_once(db, client, make_user, seminar, url):
    url = url.format(id=seminar.id)
    assert free_seats(client.get(url, headers=EN).get_data(as_text=True)) == "3 of 3 seats free"
    take_seat(db, make_user, seminar)
    assert free_seats(client.get(url, headers=EN).get_data(as_text=True)) == "2 of 3 seats free"


def test_a_change_by_staff_shows_at_once(db, client, seminar):
    assert "Vereinsrecht kompakt" in client.get(f"/events/{seminar.id}").get_data(as_text=True)
    _db.session.get(Event, seminar.id).title = "Vereinsrecht für Vorstände"
    _db.session.commit()
    page = client.get(f"/events/{seminar.id}").get_data(as_text=True)
    assert "Vereinsrecht für Vorstände" in page and "Vereinsrecht kompakt" not in page


def test_a_rolled_back_change_keeps_the_stored_page(db, client, seminar):
    statements(db, client, "/calendar")
    _db.session.get(Event, seminar.id).title = "Nie gespeichert"
    _db.session.flush()
    _db.session.rollback()
    count, page = statements(db, client, "/calendar")
    assert count == 1 and "Nie gespeichert" not in page and "Vereinsrecht kompakt" in page


def test_the_page_changes_when_registration_closes_without_any_write(db, client, seminar, monkeypatch):
    closes = utcnow() + timedelta(hours=2)
    _db.session.get(Event, seminar.id).registration_closes_at = closes
    _db.session.commit()
    url = f"/events/{seminar.id}"
    assert "Registration closed" not in client.get(url, headers=EN).get_data(as_text=True)
    assert statements(db, client, url, headers=EN)[0] == 1  # stored

    later = closes + timedelta(seconds=1)
    for module in ("miado_events.pagecache", "miado_events.events.views"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    count, page = statements(db, client, url, headers=EN)
    assert count > 1 and "Registration closed" in page


def test_a_session_that_ended_leaves_the_calendar_without_any_write(db, client, seminar, monkeypatch):
    start = utcnow() + timedelta(hours=1)
    soon = make_event(db, "Kurzes Vernetzungstreffen", [start], kind="networking", duration=timedelta(hours=1))
    assert "Kurzes Vernetzungstreffen" in client.get("/calendar").get_data(as_text=True)

    after = soon.sessions[0].ends_at + timedelta(seconds=1)
    for module in ("miado_events.pagecache", "miado_events.events.views"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: after)
    page = client.get("/calendar").get_data(as_text=True)
    assert "Kurzes Vernetzungstreffen" not in page and "Vereinsrecht kompakt" in page


def test_each_language_is_its_own_page(db, client, seminar):
    german = client.get("/calendar", headers={"Accept-Language": "de"}).get_data(as_text=True)
    english = client.get("/calendar", headers=EN).get_data(as_text=True)
    assert 'lang="de"' in german and "Kalender" in german
    assert 'lang="en"' in english and "Calendar" in english


def test_signed_in_people_never_get_a_shared_page(db, client, make_user, login, seminar):
    person = take_seat(db, make_user, seminar)
    statements(db, client, f"/events/{seminar.id}", headers=EN)  # stored for visitors
    login(person)
    page = client.get(f"/events/{seminar.id}", headers=EN).get_data(as_text=True)
    assert "You are registered" in page
    client.post("/logout")
    client.get("/")  # the log-out message
    assert "You are registered" not in client.get(f"/events/{seminar.id}", headers=EN).get_data(as_text=True)


def test_every_visitor_gets_their_own_csrf_token_in_a_stored_page(app, db, seminar):
    app.config["WTF_CSRF_ENABLED"] = True
    tokens = []
    for _ in range(2):
        visitor = app.test_client()
        page = visitor.get("/calendar").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        tokens.append(token)
        # The token works: the language switcher accepts it.
        response = visitor.post("/language", data={"csrf_token": token, "locale": "en", "next": "/calendar"})
        assert response.status_code == 302
    assert tokens[0] != tokens[1]


def test_a_change_through_another_process_shows_at_once(app, db, client, make_user, seminar, tmp_path):
    """Two app processes on one database (another app object stands for the
    other process): a seat taken through one is seen by the other's store."""
    other = create_app(app_config(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    other.test_client_class = FreshGlobalsClient
    url = f"/events/{seminar.id}"
    with other.app_context():
        other_client = other.test_client()
        assert free_seats(other_client.get(url, headers=EN).get_data(as_text=True)) == "3 of 3 seats free"
        _db.session.remove()
    take_seat(db, make_user, seminar)
    with other.app_context():
        assert free_seats(other_client.get(url, headers=EN).get_data(as_text=True)) == "2 of 3 seats free"
        _db.session.remove()
        _db.engine.dispose()


def test_a_savepoint_rolled_back_keeps_the_changes_made_before_it(db, client, seminar):
    statements(db, client, "/calendar")
    _db.session.get(Event, seminar.id).title = "Vereinsrecht für Vorstände"
    _db.session.flush()
    with _db.session.begin_nested() as savepoint:
        _db.session.get(Event, seminar.id).capacity = 4
        _db.session.flush()
        savepoint.rollback()
    _db.session.commit()
    assert "Vereinsrecht für Vorstände" in client.get("/calendar").get_data(as_text=True)


def test_an_update_that_matches_nothing_keeps_the_stored_page(db, client, seminar):
    from sqlalchemy import update

    statements(db, client, "/calendar")
    _db.session.execute(update(Event).where(Event.id == -1).values(title="x"))
    _db.session.commit()
    assert statements(db, client, "/calendar")[0] == 1
