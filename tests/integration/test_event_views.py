"""Events through the test client: the public calendar and month grid, event
pages and their registration buttons, registering (oneself and, as a
representative, a member), "my registrations", cancelling, the staff pages
(events, sessions, recurring meetings, registrant lists), bad input and the
number of SQL statements per page."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.events import Event, EventSession, Registration, Slot, Venue
from miado_events.models.orgs import Membership, MembershipRole, Organisation
from miado_events.timeutil import local_to_utc, to_local

from ..conftest import PASSWORD, count_statements

YEAR = utcnow().year + 1  # every date in these tests is in the future


def at(month: int, day: int, hour: int = 18, minute: int = 0, year: int = YEAR) -> datetime:
    """The UTC instant of a Berlin wall-clock time."""
    return local_to_utc(date(year, month, day), time(hour, minute))


def make_venue(db, name: str = "Dietrich-Keuning-Haus", district: str | None = "Innenstadt-Nord",
               **columns) -> Venue:
    venue = Venue(name=name, address=columns.pop("address", "Leopoldstraße 50-58, 44147 Dortmund"),
                  district=district, **columns)
    db.session.add(venue)
    db.session.commit()
    return venue


def make_event(db, title: str, starts=(), *, kind: str = "seminar", capacity: int = 20,
               status: str = "published", languages=("de",), venue: Venue | None = None,
               venues=None, online_url: str | None = None, duration=timedelta(hours=2),
               recurrence_id: str | None = None, commit: bool = True, **columns) -> Event:
    """An event with one session per start (and the slots its kind needs).
    ``venues`` (a list) rotates over the sessions; without a venue the
    session is online."""
    event = Event(kind=kind, title=title, capacity=capacity, status=status,
                  languages=list(languages), **columns)
    db.session.add(event)
    if kind == "series":
        db.session.add(Slot(event=event, capacity=capacity))
    for i, start in enumerate(starts):
        place = venues[i % len(venues)] if venues else venue
        session = EventSession(event=event, starts_at=start, ends_at=start + duration, venue=place,
                               online_url=online_url or (None if place else "https://meet.example.org/r"),
                               recurrence_id=recurrence_id)
        db.session.add(session)
        if kind != "series":
            db.session.add(Slot(event=event, session=session, capacity=capacity))
    if commit:
        db.session.commit()
    return event


def slot_of(db, event: Event, index: int = 0) -> Slot:
    """The whole-event slot of a series, else the slot of the index-th session."""
    if event.kind == "series":
        return db.session.scalar(select(Slot).where(Slot.event_id == event.id,
                                                    Slot.session_id.is_(None)))
    session = sorted(event.sessions, key=lambda s: s.starts_at)[index]
    return db.session.scalar(select(Slot).where(Slot.session_id == session.id))


def make_org(db, name: str = "Kulturbrücke Dortmund e.V.", status: str = "listed") -> Organisation:
    org = Organisation(name=name, legal_form="ev", status=status, published_fields=["districts"])
    db.session.add(org)
    db.session.commit()
    return org


def add_member(db, user, org, role: MembershipRole = MembershipRole.MEMBER) -> Membership:
    membership = Membership(organisation=org, user=user, role=role.value, status="active")
    db.session.add(membership)
    db.session.commit()
    return membership


def add_registration(db, user, slot: Slot, status: str = "confirmed", org=None) -> Registration:
    """A registration put straight into the database (and the seat counter kept right)."""
    registration = Registration(slot=slot, event_id=slot.event_id, user=user, organisation=org,
                                status=status, confirmed_at=utcnow() if status == "confirmed" else None)
    db.session.add(registration)
    if status == "confirmed":
        slot.confirmed_count += 1
    db.session.commit()
    return registration


def text_of(response) -> str:
    """The page as text with entities decoded and white space collapsed."""
    return " ".join(unescape(response.get_data(as_text=True)).split())


def titles_on(response) -> list[str]:
    """Event titles linked from the calendar list, in order."""
    return [unescape(t) for t in re.findall(r'<h3><a href="/events/\d+">(?:<bdi[^>]*>)?([^<]+)(?:</bdi>)?.*?</a></h3>',
                                            response.get_data(as_text=True))]


def months_on(response) -> list[tuple[str, list[str]]]:
    """(month heading, titles) per month section of the calendar list."""
    page = response.get_data(as_text=True)
    result = []
    for section in page.split('<section aria-labelledby="month-')[1:]:
        heading = re.search(r"<h2[^>]*>([^<]+)</h2>", section).group(1)
        result.append((unescape(heading).strip(),
                       [unescape(t) for t in re.findall(r'<h3><a href="/events/\d+">(?:<bdi[^>]*>)?([^<]+)(?:</bdi>)?.*?</a></h3>',
                                                        section.split("</section>")[0])]))
    return result


def grid_on(response) -> dict[tuple[int, bool], list[str]]:
    """Month grid: {(day number, in this month): [link texts]} (titles isolated with <bdi>)."""
    page = re.sub(r"</?bdi[^>]*>", "", unescape(response.get_data(as_text=True)))
    cells = {}
    for cell in re.findall(r'<td class="([^"]*)">(.*?)</td>', page, re.S):
        classes, body = cell
        day = int(re.search(r'class="day-number"[^>]*>(\d+)<', body).group(1))
        links = [" ".join(t.split()) for t in re.findall(r'class="grid-event"[^>]*>([^<]*)</a>', body)]
        cells[(day, "other-month" not in classes)] = links
    return cells


def flashes(response) -> str:
    return " ".join(" ".join(unescape(m).split()) for m in re.findall(
        r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True), re.S))




@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def member(db, make_user, org):
    user = make_user(Role.MEMBER, name="Mira Mitglied")
    add_member(db, user, org)
    return user


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF, name="Stefan Staff")


@pytest.fixture
def venues(db):
    return {
        "keuning": make_venue(db, "Dietrich-Keuning-Haus", "Innenstadt-Nord"),
        "eving": make_venue(db, "Bürgerhaus Eving", "Eving", address="Deutsche Straße 27, 44339 Dortmund"),
        "away": make_venue(db, "Jugendherberge Bochum", None, address="Humboldtstraße 59, 44787 Bochum"),
    }


# --- calendar list ----------------------------------------------------------------------------

def test_calendar_lists_upcoming_published_sessions_grouped_by_month(client, db, venues):
    make_event(db, "Seminar Vereinsrecht", [at(1, 20)], venue=venues["keuning"])
    make_event(db, "Vernetzungstreffen Nord", [at(1, 12), at(2, 9), at(3, 9)], kind="networking",
               venue=venues["eving"])
    make_event(db, "Entwurf Fördermittel", [at(1, 15)], status="draft", venue=venues["keuning"])
    make_event(db, "Abgesagtes Seminar", [at(1, 16)], status="cancelled", venue=venues["keuning"])
    past_and_cancelled = make_event(db, "Reihe Öffentlichkeitsarbeit",
                                    [utcnow() - timedelta(days=2), at(2, 1), at(2, 2)],
                                    kind="series", venue=venues["keuning"])
    [_, _, cancelled_session] = sorted(past_and_cancelled.sessions, key=lambda s: s.starts_at)
    cancelled_session.status = "cancelled"
    db.session.commit()

    response = client.get("/calendar")
    assert response.status_code == 200
    # The monthly meeting appears once, at its first date, with its next dates.
    assert months_on(response) == [
        (f"January {YEAR}", ["Vernetzungstreffen Nord", "Seminar Vereinsrecht"]),
        (f"February {YEAR}", ["Reihe Öffentlichkeitsarbeit"]),
    ]
    page = text_of(response)
    assert re.search(rf"Next dates: <time[^>]*>9 Feb {YEAR}</time>, <time[^>]*>9 Mar {YEAR}</time>", page)
    assert "Entwurf Fördermittel" not in page and "Abgesagtes Seminar" not in page
    assert "Networking meeting" in page and "Training series" in page
    assert "Dietrich-Keuning-Haus" in page and "(Eving)" in page


def test_calendar_filters_by_kind_language_and_district(client, db, venues):
    make_event(db, "Seminar Türkisch Eving", [at(1, 10)], languages=("tr", "de"), venue=venues["eving"])
    make_event(db, "Seminar Arabisch Nord", [at(1, 11)], languages=("ar",), venue=venues["keuning"])
    make_event(db, "Treffen Türkisch Nord", [at(1, 12)], kind="networking", languages=("tr",),
               venue=venues["keuning"])
    make_event(db, "Reihe online", [at(1, 13)], kind="series", languages=("de",))
    make_event(db, "Ausflug Bochum", [at(1, 14)], languages=("de",), venue=venues["away"])

    for query, expected in [
        ("", ["Seminar Türkisch Eving", "Seminar Arabisch Nord", "Treffen Türkisch Nord",
              "Reihe online", "Ausflug Bochum"]),
        ("kind=seminar", ["Seminar Türkisch Eving", "Seminar Arabisch Nord", "Ausflug Bochum"]),
        ("kind=networking", ["Treffen Türkisch Nord"]),
        ("kind=series", ["Reihe online"]),
        ("language=tr", ["Seminar Türkisch Eving", "Treffen Türkisch Nord"]),
        ("language=ar", ["Seminar Arabisch Nord"]),
        ("district=Eving", ["Seminar Türkisch Eving"]),
        ("district=Innenstadt-Nord", ["Seminar Arabisch Nord", "Treffen Türkisch Nord"]),
        ("kind=seminar&language=tr", ["Seminar Türkisch Eving"]),
        ("kind=networking&district=Innenstadt-Nord&language=tr", ["Treffen Türkisch Nord"]),
        # Values not on the lists are ignored, not errors.
        ("kind=party&language=xx&district=Paris", ["Seminar Türkisch Eving", "Seminar Arabisch Nord",
                                                    "Treffen Türkisch Nord", "Reihe online",
                                                    "Ausflug Bochum"]),
    ]:
        response = client.get(f"/calendar?{query}")
        assert response.status_code == 200, query
        assert titles_on(response) == expected, query

    # The chosen filter is kept in the form.
    page = client.get("/calendar?kind=seminar").get_data(as_text=True)
    assert '<option value="seminar" selected>' in page


def test_calendar_empty_states(client, db, venues):
    response = client.get("/calendar")
    assert "There are no upcoming events at the moment." in text_of(response)
    make_event(db, "Seminar Nord", [at(1, 10)], venue=venues["keuning"])
    response = client.get("/calendar?district=Mengede")
    assert response.status_code == 200
    assert titles_on(response) == []
    page = text_of(response)
    assert "No events match these filters." in page
    assert 'href="/calendar">Show all' in response.get_data(as_text=True)


def test_calendar_shows_free_seats_and_waiting_list(client, db, make_user, venues):
    half = make_event(db, "Halb voll", [at(1, 10)], capacity=30, venue=venues["keuning"])
    slot_of(db, half).confirmed_count = 18
    full = make_event(db, "Ausgebucht", [at(1, 11)], capacity=2, venue=venues["keuning"])
    full_slot = slot_of(db, full)
    for _ in range(2):
        add_registration(db, make_user(), full_slot)
    for _ in range(3):
        add_registration(db, make_user(), full_slot, status="waitlisted")
    no_list = make_event(db, "Voll ohne Warteliste", [at(1, 12)], capacity=1, waitlist_enabled=False,
                         venue=venues["keuning"])
    add_registration(db, make_user(), slot_of(db, no_list))
    db.session.commit()

    page = text_of(client.get("/calendar"))
    assert "12 of 30 seats free" in page
    assert "Full – waiting list: 3" in page
    assert "Full Fully booked" in page


def test_calendar_pages_through_35_sessions(client, db, venues):
    # A recurring meeting appears once per page, with its next dates, not as 30 cards.
    make_event(db, "Wöchentliches Treffen", [at(1, 1) + timedelta(days=7 * i) for i in range(35)],
               kind="networking", venue=venues["eving"])
    first = client.get("/calendar")
    assert titles_on(first) == ["Wöchentliches Treffen"]
    assert "Next dates:" in text_of(first) and "and 31 more dates" in text_of(first)
    assert "Page 1 of 2" in text_of(first)
    assert 'href="/calendar?page=2"' in first.get_data(as_text=True)
    second = client.get("/calendar?page=2")
    assert second.status_code == 200
    assert titles_on(second) == ["Wöchentliches Treffen"]
    assert "and 1 more date" in text_of(second)
    assert "Page 2 of 2" in text_of(second)

    # The filters stay on the page links.
    filtered = client.get("/calendar?kind=networking&district=Eving").get_data(as_text=True)
    assert re.search(r'href="/calendar\?[^"]*page=2[^"]*"', filtered)
    link = unescape(re.search(r'href="(/calendar\?[^"]*page=2[^"]*)"', filtered).group(1))
    assert "kind=networking" in link and "district=Eving" in link


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=0", "page=99999",
                                   "kind=%3Cscript%3E", "language=' OR 1=1 --", "district=Nowhere"])
# (A NUL byte is refused before any view: tests/integration/test_hostile_input.py.)
def test_calendar_bad_query_strings_do_not_fail(client, db, venues, query):
    make_event(db, "Seminar", [at(1, 10)], venue=venues["keuning"])
    assert client.get(f"/calendar?{query}").status_code == 200
    assert client.get(f"/calendar/{YEAR}/3?{query}").status_code == 200


def test_calendar_bad_page_number_shows_the_first_page(client, db, venues):
    make_event(db, "Seminar", [at(1, 10)], venue=venues["keuning"])
    response = client.get("/calendar?page=abc")
    assert response.status_code == 200
    assert titles_on(response) == ["Seminar"]


# --- month grid -------------------------------------------------------------------------------

def test_month_grid_puts_sessions_on_their_berlin_day(client, db, venues):
    # 23:30 in Berlin on 31 July is 21:30 UTC; 00:30 on 1 August is 22:30 UTC on 31 July.
    make_event(db, "Spätes Treffen", [at(7, 31, 23, 30)], kind="networking", venue=venues["eving"],
               duration=timedelta(minutes=45))
    make_event(db, "Frühes Treffen", [at(8, 1, 0, 30)], kind="networking", venue=venues["eving"],
               duration=timedelta(minutes=45))
    make_event(db, "Seminar Mitte Juli", [at(7, 15, 10)], venue=venues["keuning"])
    # Winter time too: 23:30 on 31 January is 22:30 UTC.
    make_event(db, "Januar spät", [at(1, 31, 23, 30)], venue=venues["keuning"],
               duration=timedelta(minutes=20))

    july = client.get(f"/calendar/{YEAR}/7")
    assert july.status_code == 200
    grid = grid_on(july)
    assert any("Spätes Treffen" in t for t in grid[(31, True)])
    assert any("Seminar Mitte Juli" in t for t in grid[(15, True)])
    july_titles = " ".join(" ".join(v) for v in grid.values())
    assert "Frühes Treffen" not in july_titles
    assert july_titles.count("Spätes Treffen") == 1

    august = client.get(f"/calendar/{YEAR}/8")
    grid = grid_on(august)
    assert any("Frühes Treffen" in t for t in grid[(1, True)])
    # The late July meeting is never on an August day (at most on the grey 31 July cell).
    in_august = " ".join(" ".join(v) for (day, this_month), v in grid.items() if this_month)
    assert "Spätes Treffen" not in in_august

    january = grid_on(client.get(f"/calendar/{YEAR}/1"))
    assert any("Januar spät" in t for t in january[(31, True)])
    february = grid_on(client.get(f"/calendar/{YEAR}/2"))
    assert "Januar spät" not in " ".join(" ".join(v) for (d, mine), v in february.items() if mine)


def test_month_grid_shows_times_in_berlin_and_links_to_the_event(client, db, venues):
    event = make_event(db, "Abendtreffen", [at(7, 10, 18, 0)], venue=venues["eving"])
    page = re.sub(r"</?bdi[^>]*>", "", client.get(f"/calendar/{YEAR}/7").get_data(as_text=True))
    link = re.search(rf'<a class="grid-event" href="/events/{event.id}">([^<]*)</a>', page)
    assert link, page
    # 18:00 Berlin (16:00 UTC) is shown as 18:00 (English pages use the 24-hour clock), not 16:00.
    assert "18:00" in link.group(1) and "16:00" not in link.group(1)


def test_month_grid_filters_hide_drafts_and_has_an_empty_state(client, db, venues):
    make_event(db, "Seminar Eving", [at(5, 5)], venue=venues["eving"])
    make_event(db, "Treffen Nord", [at(5, 6)], kind="networking", venue=venues["keuning"])
    make_event(db, "Entwurf", [at(5, 7)], status="draft", venue=venues["keuning"])
    all_of_may = " ".join(" ".join(v) for v in grid_on(client.get(f"/calendar/{YEAR}/5")).values())
    assert "Seminar Eving" in all_of_may and "Treffen Nord" in all_of_may
    assert "Entwurf" not in all_of_may
    filtered = client.get(f"/calendar/{YEAR}/5?kind=networking")
    text = " ".join(" ".join(v) for v in grid_on(filtered).values())
    assert "Treffen Nord" in text and "Seminar Eving" not in text
    empty = client.get(f"/calendar/{YEAR}/6")
    assert empty.status_code == 200
    assert "No events in this month." in text_of(empty)
    # Previous and next month links.
    page = client.get(f"/calendar/{YEAR}/1").get_data(as_text=True)
    assert f'href="/calendar/{YEAR - 1}/12"' in page and f'href="/calendar/{YEAR}/2"' in page


@pytest.mark.parametrize("url", ["/calendar/2027/13", "/calendar/2027/0", "/calendar/1999/5",
                                 "/calendar/2101/1", "/calendar/2027/abc", "/calendar/-1/1"])
def test_month_grid_bad_months_are_404(client, url):
    assert client.get(url).status_code == 404


# --- event page -------------------------------------------------------------------------------

def _register_forms(response) -> list[str]:
    return re.findall(r'<form method="post" action="(/events/\d+/slots/\d+/register)"',
                      response.get_data(as_text=True))


def test_event_page_button_states(client, db, make_user, login, member, venues):
    now = utcnow()
    open_ = make_event(db, "Offen", [at(3, 1)], capacity=5, venue=venues["keuning"],
                       description="Alles über Vereinsrecht.", audience_note="Vorstände",
                       org_seat_limit=2)
    full = make_event(db, "Voll", [at(3, 2)], capacity=1, venue=venues["keuning"])
    add_registration(db, make_user(), slot_of(db, full))
    full_no_list = make_event(db, "Voll ohne Liste", [at(3, 3)], capacity=1, waitlist_enabled=False,
                              venue=venues["keuning"])
    add_registration(db, make_user(), slot_of(db, full_no_list))
    later = make_event(db, "Später", [at(3, 4)], venue=venues["keuning"],
                       registration_opens_at=now + timedelta(days=3))
    closed = make_event(db, "Geschlossen", [at(3, 5)], venue=venues["keuning"],
                        registration_closes_at=now - timedelta(hours=1))
    past = make_event(db, "Vorbei", [now - timedelta(days=1)], venue=venues["keuning"])
    cancelled = make_event(db, "Abgesagt", [at(3, 6)], status="cancelled", venue=venues["keuning"])

    # Anonymous visitors are asked to log in where registering is possible.
    page = client.get(f"/events/{open_.id}")
    assert page.status_code == 200
    assert "Log in to register" in text_of(page)
    assert f'href="/login?next=/events/{open_.id}"' in page.get_data(as_text=True)
    assert "Alles über Vereinsrecht." in text_of(page) and "Vorstände" in text_of(page)
    assert "5 of 5 seats free" in text_of(page) and "at most 2" in text_of(page)

    login(member)
    page = client.get(f"/events/{open_.id}")
    assert _register_forms(page) == [f"/events/{open_.id}/slots/{slot_of(db, open_).id}/register"]
    assert re.search(r'<button type="submit" class="button">\s*Register\s*</button>', page.get_data(as_text=True))

    page = client.get(f"/events/{full.id}")
    assert len(_register_forms(page)) == 1 and "Join the waiting list" in text_of(page)
    assert "Full" in text_of(page)

    page = client.get(f"/events/{full_no_list.id}")
    assert _register_forms(page) == [] and "Fully booked" in text_of(page)

    page = client.get(f"/events/{later.id}")
    assert _register_forms(page) == [] and "Registration opens on" in text_of(page)

    for event in (closed, past):
        page = client.get(f"/events/{event.id}")
        assert page.status_code == 200
        assert _register_forms(page) == [] and "Registration closed" in text_of(page), event.title

    page = client.get(f"/events/{cancelled.id}")
    assert page.status_code == 200
    assert _register_forms(page) == [] and "This event has been cancelled." in text_of(page)


def test_series_page_has_one_registration_for_all_sessions(client, db, login, member, venues):
    series = make_event(db, "Reihe Projektmanagement", [at(4, 1), at(4, 8), at(4, 15)], kind="series",
                        capacity=12, venue=venues["keuning"], certificate_threshold=75)
    login(member)
    page = client.get(f"/events/{series.id}")
    assert "Registration for the whole series" in text_of(page)
    assert _register_forms(page) == [f"/events/{series.id}/slots/{slot_of(db, series).id}/register"]
    assert "at least 75 % of the sessions" in text_of(page)
    assert page.get_data(as_text=True).count("<time datetime=") == 3


def test_draft_event_page_is_404_except_for_staff(client, db, login, member, staff, venues):
    draft = make_event(db, "Entwurf", [at(3, 1)], status="draft", venue=venues["keuning"])
    assert client.get(f"/events/{draft.id}").status_code == 404
    login(member)
    assert client.get(f"/events/{draft.id}").status_code == 404
    client.post("/logout")
    login(staff)
    page = client.get(f"/events/{draft.id}")
    assert page.status_code == 200 and "Draft: not visible to the public." in text_of(page)


# --- registering ------------------------------------------------------------------------------

def test_member_registers_and_sees_it_in_my_registrations(client, db, login, member, org, outbox, venues):
    event = make_event(db, "Seminar Vereinsrecht", [at(3, 1)], capacity=5, venue=venues["keuning"])
    slot = slot_of(db, event)
    login(member)
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register",
                           data={"organisation_id": str(org.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.id}")
    page = client.get(response.headers["Location"])
    assert "You are registered. A confirmation is on its way by e-mail." in flashes(page)
    assert "You are registered" in text_of(page) and _register_forms(page) == []
    assert "4 of 5 seats free" in text_of(page)

    registration = db.session.scalar(select(Registration))
    assert (registration.user_id, registration.organisation_id, registration.status) == (
        member.id, org.id, "confirmed")
    assert [m["To"] for m in outbox] == [member.email]

    mine = client.get("/my/registrations")
    assert mine.status_code == 200
    page = text_of(mine)
    assert "Seminar Vereinsrecht" in page and "Confirmed" in page
    assert f"for {org.name}" in page
    assert f'href="/registrations/{registration.id}/cancel"' in mine.get_data(as_text=True)

    # A second click registers once.
    again = client.post(f"/events/{event.id}/slots/{slot.id}/register",
                        data={"organisation_id": str(org.id)}, follow_redirects=True)
    assert "already registered" in flashes(again)
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_waitlisted_members_see_their_position(client, db, make_user, login, org, venues):
    event = make_event(db, "Beliebtes Seminar", [at(3, 1)], capacity=1, venue=venues["keuning"])
    slot = slot_of(db, event)
    add_registration(db, make_user(), slot)
    first, second = make_user(name="Erste Wartende"), make_user(name="Zweiter Wartender")
    for user in (first, second):
        add_member(db, user, org)

    login(first)
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register",
                           data={"organisation_id": str(org.id)}, follow_redirects=True)
    assert "The event is full." in flashes(response)
    assert "waiting list at position 1" in flashes(response)
    client.post("/logout")

    login(second)
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register",
                           data={"organisation_id": str(org.id)}, follow_redirects=True)
    assert "waiting list at position 2" in flashes(response)
    assert "You are on the waiting list" in text_of(response)
    mine = text_of(client.get("/my/registrations"))
    assert "Beliebtes Seminar" in mine and "Waiting list" in mine
    assert "Position 2 on the waiting list" in mine
    assert "Leave the waiting list" in mine


def test_member_cancels_through_the_confirmation_page_and_the_seat_moves_on(
        client, db, make_user, login, member, org, outbox, venues):
    event = make_event(db, "Seminar Finanzen", [at(3, 1)], capacity=1, venue=venues["keuning"])
    slot = slot_of(db, event)
    mine = add_registration(db, member, slot, org=org)
    waiting = make_user(name="Wartende Person")
    add_member(db, waiting, org)
    waiting_registration = add_registration(db, waiting, slot, status="waitlisted", org=org)
    outbox.clear()

    login(member)
    confirm = client.get(f"/registrations/{mine.id}/cancel")
    assert confirm.status_code == 200
    page = text_of(confirm)
    assert "Cancel registration?" in page and "Seminar Finanzen" in page
    assert "Your seat will go to the next person on the waiting list." in page
    db.session.refresh(mine)
    assert mine.status == "confirmed"  # the GET changed nothing

    response = client.post(f"/registrations/{mine.id}/cancel")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/registrations")
    page = client.get("/my/registrations")
    assert "The registration has been cancelled." in flashes(page)
    assert "You are not registered for any upcoming event." in text_of(page)
    assert "Cancelled" in text_of(page)

    db.session.refresh(mine)
    db.session.refresh(waiting_registration)
    db.session.refresh(slot)
    assert mine.status == "cancelled" and mine.cancelled_by_id == member.id
    assert waiting_registration.status == "confirmed"
    assert slot.confirmed_count == 1
    assert sorted(m["To"] for m in outbox) == sorted([member.email, waiting.email])

    # Cancelling again is refused with a message, not an error.
    again = client.post(f"/registrations/{mine.id}/cancel", follow_redirects=True)
    assert again.status_code == 200 and "already been cancelled" in flashes(again)


def _section(response, heading_id: str) -> str:
    page = " ".join(unescape(response.get_data(as_text=True)).split())
    return page.split(f'aria-labelledby="{heading_id}"', 1)[1].split("</section>", 1)[0]


def test_a_series_that_has_begun_is_still_upcoming(client, db, login, member, org, venues):
    now = utcnow()
    running = make_event(db, "Laufende Reihe", [now - timedelta(days=7), now + timedelta(days=7)],
                         kind="series", venue=venues["keuning"])
    finished = make_event(db, "Beendete Reihe", [now - timedelta(days=14), now - timedelta(days=7)],
                          kind="series", venue=venues["keuning"])
    for event in (running, finished):
        add_registration(db, member, slot_of(db, event), org=org)
    login(member)
    response = client.get("/my/registrations")
    upcoming, past = _section(response, "upcoming-heading"), _section(response, "past-heading")
    assert "Laufende Reihe" in upcoming and "Laufende Reihe" not in past
    assert "Beendete Reihe" in past and "Beendete Reihe" not in upcoming
    # Its first session has passed: it can no longer be cancelled online.
    assert "The event has already started. It can no longer be cancelled online." in upcoming


def test_a_waiting_place_of_a_past_session_is_listed_without_a_position(client, db, make_user, login, member,
                                                                         org, venues):
    past = make_event(db, "Vergangenes Seminar", [utcnow() - timedelta(days=3)], capacity=1,
                      venue=venues["keuning"])
    add_registration(db, make_user(), slot_of(db, past))
    add_registration(db, member, slot_of(db, past), status="waitlisted", org=org)
    login(member)
    response = client.get("/my/registrations")
    assert response.status_code == 200
    past_part = _section(response, "past-heading")
    assert "Vergangenes Seminar" in past_part and "Waiting list" in past_part
    assert "Position" not in past_part and "Leave the waiting list" not in past_part


def test_cancelling_after_the_deadline_is_possible_and_recorded_as_late(client, db, login, member, org, venues):
    soon = make_event(db, "Morgen", [utcnow() + timedelta(hours=5)], venue=venues["keuning"],
                      cancellation_deadline_hours=24)
    registration = add_registration(db, member, slot_of(db, soon), org=org)
    login(member)
    assert "cancelling now counts as late" in text_of(client.get("/my/registrations"))
    response = client.post(f"/registrations/{registration.id}/cancel", follow_redirects=True)
    assert "The registration has been cancelled." in flashes(response)
    db.session.refresh(registration)
    assert registration.status == "cancelled" and registration.cancelled_late is True


def test_cancelling_once_it_has_started_is_refused(client, db, login, member, org, venues):
    running = make_event(db, "Läuft", [utcnow() - timedelta(hours=1), utcnow() + timedelta(days=7)],
                         kind="series", venue=venues["keuning"])
    registration = add_registration(db, member, slot_of(db, running), org=org)
    login(member)
    response = client.post(f"/registrations/{registration.id}/cancel", follow_redirects=True)
    assert "It can no longer be cancelled online." in flashes(response)
    db.session.refresh(registration)
    assert registration.status == "confirmed"


def test_someone_elses_registration_is_404(client, db, make_user, login, member, org, venues):
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    other = make_user()
    add_member(db, other, org)
    theirs = add_registration(db, other, slot_of(db, event), org=org)
    login(member)  # a plain member of the same MSO
    assert client.get(f"/registrations/{theirs.id}/cancel").status_code == 404
    assert client.post(f"/registrations/{theirs.id}/cancel").status_code == 404
    assert client.get("/registrations/99999/cancel").status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "confirmed"
    mine = client.get("/my/registrations").get_data(as_text=True)
    assert f'href="/events/{event.id}"' not in mine and f"/registrations/{theirs.id}/" not in mine


def test_representative_registers_a_member_of_their_mso(client, db, make_user, login, org, outbox, venues):
    rep = make_user(name="Rana Vertreterin")
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    colleague = make_user(name="Kemal Kollege")
    add_member(db, colleague, org)
    stranger_org = make_org(db, "Anderer Verein")
    stranger = make_user(name="Fremde Person")
    add_member(db, stranger, stranger_org)
    event = make_event(db, "Seminar Buchhaltung", [at(3, 1)], venue=venues["keuning"])
    slot = slot_of(db, event)

    login(rep)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'action="/events/{event.id}/slots/{slot.id}/register-member"' in page
    assert f'value="{org.id}:{colleague.id}"' in page
    assert f'value="{org.id}:{rep.id}"' not in page  # oneself through the normal button

    response = client.post(f"/events/{event.id}/slots/{slot.id}/register-member",
                           data={"member": f"{org.id}:{colleague.id}"}, follow_redirects=True)
    assert "Kemal Kollege is registered." in flashes(response)
    registration = db.session.scalar(select(Registration).where(Registration.user_id == colleague.id))
    assert registration.status == "confirmed" and registration.organisation_id == org.id
    assert registration.registered_by_id == rep.id
    assert [m["To"] for m in outbox] == [colleague.email]

    # Someone of another MSO cannot be registered through one's own.
    for value in (f"{org.id}:{stranger.id}", f"{stranger_org.id}:{stranger.id}"):
        response = client.post(f"/events/{event.id}/slots/{slot.id}/register-member",
                               data={"member": value}, follow_redirects=True)
        assert response.status_code == 200
        assert "You may only register yourself or members of your organisation." in flashes(response)
    assert db.session.scalar(select(Registration).where(Registration.user_id == stranger.id)) is None

    # The representative may cancel the registration they manage.
    assert client.get(f"/registrations/{registration.id}/cancel").status_code == 200


def test_plain_member_cannot_register_others(client, db, make_user, login, member, org, venues):
    colleague = make_user()
    add_member(db, colleague, org)
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    slot = slot_of(db, event)
    login(member)
    assert "register-member" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register-member",
                           data={"member": f"{org.id}:{colleague.id}"}, follow_redirects=True)
    assert response.status_code == 200
    assert "only register yourself or members" in flashes(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


# --- staff ------------------------------------------------------------------------------------

def _event_form(**overrides) -> dict:
    data = {"kind": "networking", "title": "Vernetzungstreffen Innenstadt", "description": "Austausch",
            "languages": ["de", "tr"], "visibility": "public", "capacity": "20",
            "cancellation_deadline_hours": "24", "waitlist_enabled": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_create_event_add_sessions_publish_and_edit(client, db, login, staff, member, org, outbox):
    login(staff)
    assert client.get("/staff/events/new").status_code == 200
    response = client.post("/staff/events/new", data=_event_form())
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert response.headers["Location"].endswith(f"/staff/events/{event.id}")
    assert (event.status, event.kind, event.capacity, event.languages) == ("draft", "networking", 20, ["de", "tr"])
    assert "Vernetzungstreffen Innenstadt" not in text_of(client.get("/calendar"))

    response = client.post("/staff/venues/new", data={"name": "Bürgerhaus Eving",
                                                      "address": "Deutsche Straße 27", "district": "Eving"})
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue))

    # One single session …
    response = client.post(f"/staff/events/{event.id}/sessions",
                           data={"day": f"{YEAR}-01-05", "start": "10:00", "end": "12:00",
                                 "venue_id": str(venue.id)}, follow_redirects=True)
    assert "The session has been added." in flashes(response)
    # … and five meetings on the second Tuesday of each month, 18:00–20:00 Berlin time.
    response = client.post(f"/staff/events/{event.id}/sessions/recurring", data={
        "frequency": "monthly_nth_weekday", "nth": "2", "weekday": "1", "first_day": f"{YEAR}-01-01",
        "start": "18:00", "end": "20:00", "count": "5", "venue_id": str(venue.id), "confirm": "1"}, follow_redirects=True)
    assert "The meetings have been added." in flashes(response)
    db.session.expire_all()
    sessions = sorted(event.sessions, key=lambda s: s.starts_at)
    recurring = [s for s in sessions if s.recurrence_id]
    assert len(sessions) == 6 and len(recurring) == 5
    assert len({s.recurrence_id for s in recurring}) == 1
    for s in recurring:
        local = to_local(s.starts_at)
        # Second Tuesday, 18:00 in Berlin whether in winter or summer time.
        assert local.weekday() == 1 and 8 <= local.day <= 14, local
        assert (local.hour, local.minute, to_local(s.ends_at).hour) == (18, 0, 20)
    assert [to_local(s.starts_at).month for s in recurring] == [1, 2, 3, 4, 5]
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.event_id == event.id)) == 6

    manage = client.get(f"/staff/events/{event.id}")
    assert manage.status_code == 200
    assert f'action="/staff/events/{event.id}/publish"' in manage.get_data(as_text=True)
    response = client.post(f"/staff/events/{event.id}/publish", follow_redirects=True)
    assert "The event is published." in flashes(response)
    db.session.refresh(event)
    assert event.status == "published"
    calendar = text_of(client.get("/calendar"))  # the recurring meeting once, with its next dates
    assert calendar.count("Vernetzungstreffen Innenstadt") == 1 and "and 2 more dates" in calendar

    # A member registers for the third meeting (March); staff then move the
    # meetings from the second one (February) onwards to 19:00.
    client.post("/logout")
    login(member)
    march = slot_of(db, event, 3)
    client.post(f"/events/{event.id}/slots/{march.id}/register", data={"organisation_id": str(org.id)})
    client.post("/logout")
    login(staff)
    outbox.clear()

    second = recurring[1]
    form = client.get(f"/staff/sessions/{second.id}")
    assert form.status_code == 200
    assert 'name="following"' in form.get_data(as_text=True)
    day = to_local(second.starts_at).date().isoformat()
    assert f'value="{day}"' in form.get_data(as_text=True)
    response = client.post(f"/staff/sessions/{second.id}", data={
        "day": day, "start": "19:00", "end": "21:00", "venue_id": str(venue.id), "following": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    recurring = sorted((s for s in event.sessions if s.recurrence_id), key=lambda s: s.starts_at)
    assert [to_local(s.starts_at).hour for s in recurring] == [18, 19, 19, 19, 19]
    assert all(8 <= to_local(s.starts_at).day <= 14 for s in recurring)  # each kept its date
    assert [s.sequence for s in recurring] == [0, 1, 1, 1, 1]
    single = next(s for s in event.sessions if not s.recurrence_id)
    assert to_local(single.starts_at).hour == 10
    assert [m["To"] for m in outbox] == [member.email]  # the member of the March meeting was told

    # Without "following" only that one session changes.
    response = client.post(f"/staff/sessions/{recurring[4].id}", data={
        "day": to_local(recurring[4].starts_at).date().isoformat(), "start": "17:00", "end": "19:00",
        "venue_id": str(venue.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert [to_local(s.starts_at).hour for s in sorted(
        (s for s in event.sessions if s.recurrence_id), key=lambda s: s.starts_at)] == [18, 19, 19, 19, 17]


def test_staff_cancel_a_session_then_the_event(client, db, make_user, login, staff, org, outbox, venues):
    event = make_event(db, "Treffen", [at(3, 1), at(4, 1)], kind="networking", venue=venues["eving"])
    first, second = sorted(event.sessions, key=lambda s: s.starts_at)
    people = [make_user(name=f"Person {i}") for i in range(3)]
    r_first = add_registration(db, people[0], slot_of(db, event, 0))
    r_second = [add_registration(db, p, slot_of(db, event, 1)) for p in people[1:]]
    login(staff)

    confirm = client.get(f"/staff/sessions/{first.id}/cancel")
    assert confirm.status_code == 200 and "Cancel this session?" in text_of(confirm)
    db.session.refresh(first)
    assert first.status == "scheduled"
    response = client.post(f"/staff/sessions/{first.id}/cancel", follow_redirects=True)
    assert "The session has been cancelled." in flashes(response)
    db.session.expire_all()
    assert first.status == "cancelled" and second.status == "scheduled"
    assert r_first.status == "cancelled" and all(r.status == "confirmed" for r in r_second)
    assert [m["To"] for m in outbox] == [people[0].email]
    assert text_of(client.get("/calendar")).count("Treffen") == 1

    confirm = client.get(f"/staff/events/{event.id}/cancel")
    assert confirm.status_code == 200
    assert "Cancel this event?" in text_of(confirm)
    assert "2 people are registered and will be told by e-mail." in text_of(confirm)
    db.session.refresh(event)
    assert event.status == "published"
    outbox.clear()
    response = client.post(f"/staff/events/{event.id}/cancel", follow_redirects=True)
    assert "The event has been cancelled." in flashes(response)
    db.session.expire_all()
    assert event.status == "cancelled"
    assert all(r.status == "cancelled" for r in r_second)
    assert sorted(m["To"] for m in outbox) == sorted(p.email for p in people[1:])
    assert "Treffen" not in text_of(client.get("/calendar"))
    assert "This event has been cancelled." in text_of(client.get(f"/events/{event.id}"))


def test_staff_registrant_list_add_by_email_and_give_a_seat(client, db, make_user, login, staff, org,
                                                            outbox, venues):
    event = make_event(db, "Seminar Satzung", [at(3, 1)], capacity=2, venue=venues["keuning"])
    slot = slot_of(db, event)
    seated = make_user(name="Sitzende Person")
    add_member(db, seated, org)
    add_registration(db, seated, slot, org=org)
    newcomer = make_user(name="Neue Person", email="neu@example.org")
    add_member(db, newcomer, org)
    waiting = [make_user(name=f"Wartend {n}") for n in ("Eins", "Zwei")]
    login(staff)

    # Staff add a person by e-mail: the last free seat.
    response = client.post(f"/staff/events/{event.id}/registrations/add",
                           data={"email": "neu@example.org", "slot_id": str(slot.id)}, follow_redirects=True)
    assert "Neue Person is registered." in flashes(response)
    added = db.session.scalar(select(Registration).where(Registration.user_id == newcomer.id))
    assert added.status == "confirmed" and added.organisation_id == org.id
    # Then two more people: both on the waiting list, in order.
    for person in waiting:
        response = client.post(f"/staff/events/{event.id}/registrations/add",
                               data={"email": person.email, "slot_id": str(slot.id)}, follow_redirects=True)
        assert f"{person.name} is on the waiting list" in flashes(response)
    unknown = client.post(f"/staff/events/{event.id}/registrations/add",
                          data={"email": "nobody@example.org", "slot_id": str(slot.id)}, follow_redirects=True)
    # An unknown address without a name: the name is asked for (a name alone
    # would do, see tests/integration/test_mso_bookings.py).
    assert "Please enter the name." in flashes(unknown)

    listing = client.get(f"/staff/events/{event.id}/registrations")
    assert listing.status_code == 200
    html = unescape(listing.get_data(as_text=True))
    assert "2 of 2 seats taken" in " ".join(html.split())
    confirmed_part, waiting_part = html.split("<h3>Waiting list</h3>")
    assert "Sitzende Person" in confirmed_part and "Neue Person" in confirmed_part
    assert re.findall(r"<tr>\s*<td>(\d+)</td><td>([^<]+)<br>", waiting_part) == [
        ("1", "Wartend Eins"), ("2", "Wartend Zwei")]

    # No free seat: giving one by hand is refused with a message.
    first_waiting = db.session.scalar(select(Registration).where(Registration.user_id == waiting[0].id))
    response = client.post(f"/staff/registrations/{first_waiting.id}/promote", follow_redirects=True)
    assert "No seats are free." in flashes(response)
    db.session.refresh(first_waiting)
    assert first_waiting.status == "waitlisted"

    # A seat that became free without the automatic move (e.g. raised in the
    # database): staff give it to the second person on the list by hand.
    slot.capacity = 3
    db.session.commit()
    second_waiting = db.session.scalar(select(Registration).where(Registration.user_id == waiting[1].id))
    outbox.clear()
    response = client.post(f"/staff/registrations/{second_waiting.id}/promote", follow_redirects=True)
    assert "Wartend Zwei now has a seat." in flashes(response)
    db.session.expire_all()
    assert second_waiting.status == "confirmed" and first_waiting.status == "waitlisted"
    assert slot.confirmed_count == 3
    assert [m["To"] for m in outbox] == [waiting[1].email]

    # Staff cancel a confirmed registration through the confirmation page:
    # the seat goes to the first person waiting.
    confirm = client.get(f"/registrations/{added.id}/cancel?back=staff")
    assert confirm.status_code == 200 and "Neue Person" in text_of(confirm)
    response = client.post(f"/registrations/{added.id}/cancel?back=staff")
    assert response.headers["Location"].endswith(f"/staff/events/{event.id}/registrations")
    db.session.expire_all()
    assert added.status == "cancelled" and first_waiting.status == "confirmed"


def test_staff_raise_capacity_gives_seats_to_the_waiting_list(client, db, make_user, login, staff, venues):
    event = make_event(db, "Seminar", [at(3, 1)], capacity=1, kind="seminar", venue=venues["keuning"])
    slot = slot_of(db, event)
    add_registration(db, make_user(), slot)
    waiting = add_registration(db, make_user(), slot, status="waitlisted")
    login(staff)
    response = client.post(f"/staff/events/{event.id}", data=_event_form(
        kind="seminar", title="Seminar", capacity="2", languages=["de"]))
    assert response.status_code == 302
    db.session.expire_all()
    assert slot.capacity == 2 and waiting.status == "confirmed"


# --- bad input never fails ---------------------------------------------------------------------

def test_bad_ids_are_404(client, db, login, member, staff, venues):
    a = make_event(db, "A", [at(3, 1)], venue=venues["keuning"])
    b = make_event(db, "B", [at(3, 2)], venue=venues["keuning"])
    assert client.get("/events/99999").status_code == 404
    login(member)
    assert client.post(f"/events/{a.id}/slots/{slot_of(db, b).id}/register").status_code == 404
    assert client.post(f"/events/{a.id}/slots/99999/register").status_code == 404
    assert client.post(f"/events/99999/slots/{slot_of(db, a).id}/register").status_code == 404
    assert client.post(f"/events/{a.id}/slots/{slot_of(db, b).id}/register-member",
                       data={"member": "1:1"}).status_code == 404
    client.post("/logout")
    login(staff)
    for url in ["/staff/events/99999", "/staff/events/99999/cancel", "/staff/sessions/99999",
                "/staff/sessions/99999/cancel", "/staff/events/99999/registrations", "/staff/venues/99999"]:
        assert client.get(url).status_code == 404, url
    for url in ["/staff/events/99999/publish", "/staff/events/99999/sessions",
                "/staff/events/99999/sessions/recurring", "/staff/events/99999/registrations/add",
                "/staff/registrations/99999/promote"]:
        assert client.post(url).status_code == 404, url
    assert db.session.scalar(select(func.count(Registration.id))) == 0


@pytest.mark.parametrize("organisation_id", ["abc", "99999", "", "1.5", "-1"])
def test_register_with_a_bad_organisation_is_a_message(client, db, login, member, venues, organisation_id):
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    login(member)
    response = client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register",
                           data={"organisation_id": organisation_id}, follow_redirects=True)
    assert response.status_code == 200
    assert "Please choose the organisation you are registering for." in flashes(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_register_for_another_mso_than_ones_own_is_refused(client, db, login, member, venues):
    other = make_org(db, "Fremder Verein")
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    login(member)
    response = client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register",
                           data={"organisation_id": str(other.id)}, follow_redirects=True)
    assert "not an active member of this organisation" in flashes(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


@pytest.mark.parametrize("member_value", ["", "abc", "1:abc", "1:2:3", "99999:99999", ":"])
def test_register_member_with_bad_values_is_a_message(client, db, make_user, login, org, venues, member_value):
    rep = make_user()
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    login(rep)
    response = client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register-member",
                           data={"member": member_value}, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_registration_on_draft_past_full_or_cancelled_events_is_refused(client, db, make_user, login, member,
                                                                        org, venues):
    past = make_event(db, "Vorbei", [utcnow() - timedelta(days=1)], venue=venues["keuning"])
    cancelled = make_event(db, "Abgesagt", [at(3, 1)], status="cancelled", venue=venues["keuning"])
    draft = make_event(db, "Entwurf", [at(3, 1)], status="draft", venue=venues["keuning"])
    full = make_event(db, "Voll", [at(3, 1)], capacity=1, waitlist_enabled=False, venue=venues["keuning"])
    add_registration(db, make_user(), slot_of(db, full))
    session_off = make_event(db, "Termin abgesagt", [at(3, 1)], venue=venues["keuning"])
    session_off.sessions[0].status = "cancelled"
    not_yet = make_event(db, "Noch nicht", [at(3, 1)], venue=venues["keuning"],
                         registration_opens_at=utcnow() + timedelta(days=1))
    db.session.commit()
    login(member)
    for event, message in [(past, "Registration for this event is closed."),
                           (cancelled, "This event has been cancelled."),
                           (full, "No seats are free."),
                           (session_off, "This session has been cancelled."),
                           (not_yet, "Registration has not opened yet.")]:
        response = client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register",
                               data={"organisation_id": str(org.id)}, follow_redirects=True)
        assert message in flashes(response), event.title
    assert client.post(f"/events/{draft.id}/slots/{slot_of(db, draft).id}/register",
                       data={"organisation_id": str(org.id)}).status_code == 404
    assert db.session.scalar(select(func.count(Registration.id)).where(Registration.user_id == member.id)) == 0


@pytest.mark.parametrize("overrides", [
    {"capacity": "x"}, {"capacity": "0"}, {"capacity": ""}, {"kind": "party"}, {"title": ""},
    {"languages": ["xx"]}, {"visibility": "secret"}, {"org_seat_limit": "-3"},
    {"registration_opens_at": "tomorrow"}, {"certificate_threshold": "150"},
    {"cancellation_deadline_hours": "abc"},
])
def test_bad_event_form_is_shown_again(client, db, login, staff, overrides):
    login(staff)
    response = client.post("/staff/events/new", data=_event_form(**overrides))
    assert response.status_code == 200, overrides
    assert "error-summary" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_event_rules_beyond_the_form_are_messages(client, db, login, staff):
    login(staff)
    response = client.post("/staff/events/new", data=_event_form(capacity="5", org_seat_limit="9"))
    assert response.status_code == 200
    assert "seat limit per organisation must be between 1 and the capacity" in flashes(response)
    response = client.post("/staff/events/new", data=_event_form(
        registration_opens_at=f"{YEAR}-02-01T10:00", registration_closes_at=f"{YEAR}-01-01T10:00"))
    assert response.status_code == 200 and "Registration must close after it opens." in flashes(response)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_bad_session_forms_are_messages(client, db, login, staff, venues):
    event = make_event(db, "Entwurf", [], status="draft")
    login(staff)
    url = f"/staff/events/{event.id}/sessions"
    day = f"{YEAR}-03-01"
    for data, message in [
        ({"day": day, "start": "20:00", "end": "18:00", "venue_id": str(venues["keuning"].id)},
         "A session must end after it starts."),
        ({"day": day, "start": "18:00", "end": "20:00", "venue_id": ""},
         "Please choose a venue or enter an online link."),
        ({"day": day, "start": "18:00", "end": "20:00"}, "Venue"),  # no venue_id field at all
        ({"day": day, "start": "18:00", "end": "20:00", "venue_id": "", "online_url": "javascript:alert(1)"},
         "The online link must start with https://."),
        ({"day": "31.02.", "start": "18:00", "end": "20:00", "venue_id": str(venues["keuning"].id)}, "Date"),
        ({"day": day, "start": "25:00", "end": "20:00", "venue_id": str(venues["keuning"].id)}, "Start time"),
        ({"day": day, "start": "18:00", "end": "20:00", "venue_id": "abc"}, "Venue"),
        ({"day": day, "start": "18:00", "end": "20:00", "venue_id": "99999"}, "Venue"),
    ]:
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, data
        assert message in flashes(response), (data, flashes(response))
    assert db.session.scalar(select(func.count(EventSession.id))) == 0

    # Publishing without sessions is refused.
    response = client.post(f"/staff/events/{event.id}/publish", follow_redirects=True)
    assert "Add at least one session before publishing." in flashes(response)

    # Editing a session with the end before the start shows the form again.
    event = make_event(db, "Mit Termin", [at(3, 1)], venue=venues["keuning"])
    session = event.sessions[0]
    response = client.post(f"/staff/sessions/{session.id}", data={
        "day": day, "start": "20:00", "end": "18:00", "venue_id": str(venues["keuning"].id)})
    assert response.status_code == 200
    assert "A session must end after it starts." in flashes(response)
    db.session.refresh(session)
    assert to_local(session.starts_at).hour == 18


@pytest.mark.parametrize("overrides,message", [
    ({"count": "0"}, "Number of meetings"),
    ({"count": "500"}, "Number of meetings"),
    ({"count": "", "until": ""}, "Please give the number of meetings or an end date."),
    ({"nth": "7"}, "Which week of the month"),
    ({"weekday": "abc"}, "Weekday"),
    ({"frequency": "daily"}, "How often"),
    ({"end": "17:00"}, "A session must end after it starts."),
    ({"count": "", "until": f"{YEAR + 9}-01-01", "frequency": "weekly"}, "at most 60 meetings"),
])
def test_bad_recurrence_is_a_message(client, db, login, staff, venues, overrides, message):
    event = make_event(db, "Entwurf", [], status="draft", kind="networking")
    login(staff)
    data = {"frequency": "monthly_nth_weekday", "nth": "2", "weekday": "1", "first_day": f"{YEAR}-01-01",
            "start": "18:00", "end": "20:00", "count": "5", "venue_id": str(venues["eving"].id)}
    data.update(overrides)
    response = client.post(f"/staff/events/{event.id}/sessions/recurring", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert message in flashes(response), flashes(response)
    assert db.session.scalar(select(func.count(EventSession.id))) == 0


@pytest.mark.parametrize("query", ["page=abc", "status=bogus", "page=-5"])
def test_staff_event_list_bad_query(client, db, login, staff, query):
    login(staff)
    assert client.get(f"/staff/events?{query}").status_code == 200


def test_staff_add_registration_bad_input(client, db, make_user, login, staff, venues):
    event = make_event(db, "Seminar", [at(3, 1)], venue=venues["keuning"])
    person = make_user(email="person@example.org")
    login(staff)
    url = f"/staff/events/{event.id}/registrations/add"
    for data in [{"email": "not-an-address", "slot_id": "1"},
                 {"email": "person@example.org", "slot_id": "abc"},
                 {"email": "person@example.org", "slot_id": "99999"},
                 {"email": "person@example.org", "slot_id": str(slot_of(db, event).id),
                  "organisation_id": "abc"}]:
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, data
        assert flashes(response), data
    # None went through (an unknown organisation is refused too); without one it goes.
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    client.post(url, data={"email": "person@example.org", "slot_id": str(slot_of(db, event).id),
                           "organisation_id": ""})
    assert db.session.scalar(select(Registration)).user_id == person.id


# --- query counts -----------------------------------------------------------------------------
#
# The fixtures keep one app context (and so one database session) open for the
# whole test, so objects loaded by one request would still be in the session
# for the next and hide statements. A real request starts with an empty
# session: ``statements_for`` removes it before each measured request, and the
# tests below keep ids, not model objects, across measurements.

def statements_for(client, db, url: str) -> int:
    db.session.remove()
    with count_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _add_calendar_data(db, first: int, events: int, sessions_per_event: int) -> list[int]:
    """``events`` events (every fifth a training series, every third a
    networking meeting from a recurrence rule), their sessions interleaved so
    that the first calendar page shows sessions of many events; returns ids."""
    venue_list = db.session.scalars(select(Venue).order_by(Venue.id)).all()
    base = at(1, 5, 8)
    created = []
    for i in range(first, first + events):
        kind = "series" if i % 5 == 4 else ("networking" if i % 3 == 0 else "seminar")
        starts = [base + timedelta(days=j, minutes=10 * i) for j in range(sessions_per_event)]
        created.append(make_event(db, f"Veranstaltung {i:03d}", starts, kind=kind, capacity=3,
                                  languages=("de", "tr") if i % 2 else ("ar",), venues=venue_list,
                                  recurrence_id=f"rule-{i}" if kind == "networking" else None,
                                  commit=False))
    db.session.commit()
    return [e.id for e in created]


def _register_in_first_sessions(db, user_ids, event_ids, sessions: int = 3) -> None:
    """The users take the seats (capacity 3), then wait, in the first sessions."""
    for event_id in event_ids:
        event = db.session.get(Event, event_id)
        for index in range(1 if event.kind == "series" else sessions):
            slot = slot_of(db, event, index)
            for user_id in user_ids:
                status = "confirmed" if slot.confirmed_count < slot.capacity else "waitlisted"
                db.session.add(Registration(slot=slot, event_id=event_id, user_id=user_id, status=status))
                if status == "confirmed":
                    slot.confirmed_count += 1
    db.session.commit()


CALENDAR_URLS = ["/calendar", "/calendar?page=2", "/calendar?kind=seminar&language=tr",
                 "/calendar?district=Eving", f"/calendar/{YEAR}/1", f"/calendar/{YEAR}/2"]


def test_calendar_query_count_does_not_grow_with_the_number_of_sessions(client, db, make_user, member):
    for n, district in enumerate(["Eving", "Hörde", "Brackel", "Mengede", None]):
        make_venue(db, f"Ort {n}", district)
    people = [make_user().id for _ in range(4)] + [member.id]
    email = member.email
    events = _add_calendar_data(db, 0, 2, 50)  # 100 sessions
    _register_in_first_sessions(db, people, events)

    def counts():
        anonymous = {url: statements_for(client, db, url) for url in CALENDAR_URLS}
        sign_in(client, email)
        signed_in = {url: statements_for(client, db, url) for url in CALENDAR_URLS}
        client.post("/logout")
        client.get("/")  # shows the log-out message (a page with a message is never shared)
        return anonymous, signed_in

    anonymous_few, member_few = counts()
    more = _add_calendar_data(db, 2, 18, 50)  # 1,000 sessions in all, 20 events
    _register_in_first_sessions(db, people, more)
    assert db.session.scalar(select(func.count(EventSession.id))) == 1000
    anonymous_many, member_many = counts()

    print("\ncalendar statements, anonymous, 100 sessions:", anonymous_few)
    print("calendar statements, anonymous, 1000 sessions:", anonymous_many)
    print("calendar statements, member, 100 sessions:", member_few)
    print("calendar statements, member, 1000 sessions:", member_many)
    assert anonymous_many == anonymous_few
    assert member_many == member_few
    # Anonymous: the page cache's version, the page's 6 statements and the
    # first end of the listed sessions (until when the stored page is true).
    assert max(anonymous_many.values()) <= 8, anonymous_many
    assert max(member_many.values()) <= 8, member_many
    # Asked again while nothing changed, the stored page costs the version only.
    assert {url: statements_for(client, db, url) for url in CALENDAR_URLS if "/calendar/" not in url} == {
        url: 1 for url in CALENDAR_URLS if "/calendar/" not in url}


def _event_with_sessions(db, title: str, count: int, kind: str, org_id: int, user_ids) -> int:
    venue_list = db.session.scalars(select(Venue).order_by(Venue.id)).all()
    event = make_event(db, title, [at(2, 1) + timedelta(days=7 * i) for i in range(count)], kind=kind,
                       venues=venue_list, capacity=2)
    for index in range(1 if kind == "series" else count):
        slot = slot_of(db, event, index)
        for user_id in user_ids:
            status = "confirmed" if slot.confirmed_count < slot.capacity else "waitlisted"
            db.session.add(Registration(slot=slot, event_id=event.id, user_id=user_id,
                                        organisation_id=org_id, status=status))
            if status == "confirmed":
                slot.confirmed_count += 1
    db.session.commit()
    return event.id


@pytest.mark.parametrize("kind", ["networking", "series"])
def test_event_page_query_count_does_not_grow_with_the_number_of_sessions(client, db, make_user, org, kind):
    """5 and 50 sessions, each session at another of 25 venues; anonymous, a
    member with seats and waiting places, a representative of a 10-member MSO."""
    for n in range(25):
        make_venue(db, f"Ort {n}", "Eving")
    rep = make_user()
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    colleagues = [make_user() for _ in range(10)]
    for colleague in colleagues:
        add_member(db, colleague, org)
    emails = {"member": colleagues[2].email, "representative": rep.email}
    user_ids = [c.id for c in colleagues[:3]]
    small = _event_with_sessions(db, "Klein", 5, kind, org.id, user_ids)
    large = _event_with_sessions(db, "Groß", 50, kind, org.id, user_ids)

    def pair():
        return statements_for(client, db, f"/events/{small}"), statements_for(client, db, f"/events/{large}")

    counts = {"anonymous": pair()}
    for role, email in emails.items():
        sign_in(client, email)
        counts[role] = pair()
        client.post("/logout")
    print(f"\nevent page statements ({kind}, 5 vs 50 sessions):", counts)
    for role, (few, many) in counts.items():
        assert few == many, (role, few, many)
    assert counts["anonymous"][1] <= 6, counts  # 6: the published agendas, one statement for all sessions
    assert counts["member"][1] <= 9, counts
    assert counts["representative"][1] <= 10, counts


def test_event_page_query_count_does_not_grow_with_the_size_of_the_mso(client, db, make_user, org):
    make_venue(db)
    rep = make_user()
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    email, org_id = rep.email, org.id
    event_id = _event_with_sessions(db, "Seminar", 3, "seminar", org_id, [])
    add_member(db, make_user(), org)
    sign_in(client, email)
    few = statements_for(client, db, f"/events/{event_id}")
    for _ in range(15):
        db.session.add(Membership(organisation_id=org_id, user=make_user(), role="member", status="active"))
    db.session.commit()
    many = statements_for(client, db, f"/events/{event_id}")
    assert many == few, (few, many)


def test_my_registrations_query_count_does_not_grow(client, db, make_user, member, org):
    for n in range(10):
        make_venue(db, f"Ort {n}", "Eving")
    email, member_id = member.email, member.id
    others = [make_user().id for _ in range(2)]
    seminars = [_event_with_sessions(db, f"Seminar {i}", 1, "seminar", org.id, others[: i % 3])
                for i in range(20)]
    series = _event_with_sessions(db, "Reihe", 6, "series", org.id, others)

    def register(event_ids):
        _register_in_first_sessions(db, [member_id], event_ids, sessions=1)

    sign_in(client, email)
    register(seminars[:3])  # one seat, two waiting places
    few = statements_for(client, db, "/my/registrations")
    register(seminars[3:] + [series])
    mine = db.session.scalars(select(Registration).where(Registration.user_id == member_id)).all()
    assert len(mine) == 21 and sum(r.status == "waitlisted" for r in mine) >= 7
    many = statements_for(client, db, "/my/registrations")
    print("\nmy registrations statements (3 vs 21 registrations):", few, many)
    assert many == few


def test_staff_registrant_list_query_count_does_not_grow(client, db, make_user, staff, org):
    make_venue(db)
    email = staff.email
    people = [make_user().id for _ in range(3)]
    # Both lists have seats and waiting places (a waiting list adds its one query for offers).
    small = _event_with_sessions(db, "Klein", 3, "networking", org.id, people)
    large = _event_with_sessions(db, "Groß", 40, "networking", org.id, people)
    sign_in(client, email)
    few = statements_for(client, db, f"/staff/events/{small}/registrations")
    many = statements_for(client, db, f"/staff/events/{large}/registrations")
    print("\nstaff registrant list statements (3 vs 40 sessions):", few, many)
    assert many == few
