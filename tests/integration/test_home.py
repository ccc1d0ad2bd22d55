"""The home page shows what is on (and, signed in, what is one's own), each
registration state with its why and until when; after log-in each role lands
where its work is; the cancel page says what happens to the seat and, after
the deadline, whom to ask; the month is an agenda on a phone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.events import Event
from miado_events.models.orgs import MembershipRole, Membership
from miado_events.models.voting import TopicRound

from ..conftest import PASSWORD
from .test_event_views import add_member, add_registration, at, make_event, make_org, make_venue, slot_of


def text_of(response) -> str:
    """The page's text: tags dropped, entities decoded, white space collapsed."""
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split()).replace(" ,", ",").replace(" :", ":")


def cards(response) -> list[str]:
    """The event titles on the home page's "Coming up" list, in order."""
    return re.findall(r'<li class="event-card">\s*<h3><a href="/events/\d+">(?:<bdi[^>]*>)?([^<]+)(?:</bdi>)?(?: <small[^>]*>[^<]*</small>)?</a>',
                      response.get_data(as_text=True))


@pytest.fixture
def venue(db):
    return make_venue(db)


def test_home_shows_the_next_events_with_date_place_seats_and_a_button(client, db, venue):
    meeting = make_event(db, "Vernetzungstreffen", [at(1, 12), at(2, 9), at(3, 9), at(4, 13)],
                         kind="networking", venue=venue)
    make_event(db, "Seminar Vereinsrecht", [at(1, 20)], capacity=12, venue=venue)
    make_event(db, "Entwurf", [at(1, 10)], status="draft", venue=venue)
    add_registration(db, None, slot_of(db, meeting))

    response = client.get("/")
    assert response.status_code == 200
    # The monthly meeting once (its first date, then the next two), soonest first; no draft.
    assert cards(response) == ["Vernetzungstreffen", "Seminar Vereinsrecht"]
    page = text_of(response)
    html = response.get_data(as_text=True)
    also = re.search(r"Also on:(.*?)</p>", html, re.S).group(1)
    assert re.findall(r'datetime="([^"]+)"', also) == [at(2, 9).isoformat(), at(3, 9).isoformat()]
    assert "Dietrich-Keuning-Haus" in page
    assert "19 of 20 seats free" in page and "12 of 12 seats free" in page
    assert html.count(">Register<span class=\"visually-hidden\">") == 2


def test_home_says_so_when_nothing_is_on(client, db):
    page = text_of(client.get("/"))
    assert "There are no upcoming events at the moment." in page


def test_a_visitor_never_sees_a_stale_home_page(client, db, venue, monkeypatch):
    first = make_event(db, "Erstes Treffen", [utcnow() + timedelta(hours=3)], venue=venue)
    assert cards(client.get("/")) == ["Erstes Treffen"]
    assert cards(client.get("/")) == ["Erstes Treffen"]  # served from the page cache

    # A new event is published: the next visitor sees it.
    make_event(db, "Zweites Treffen", [utcnow() + timedelta(days=2)], venue=venue)
    assert cards(client.get("/")) == ["Erstes Treffen", "Zweites Treffen"]

    # The first one ends, without any write: it leaves the list.
    later = first.sessions[0].ends_at + timedelta(minutes=1)
    for module in ("miado_events.pagecache", "miado_events.pages.views"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    assert cards(client.get("/")) == ["Zweites Treffen"]


def test_a_signed_in_member_sees_ticket_waiting_place_ballot_and_join_requests(
        client, db, venue, make_user, login):
    member = make_user(name="Mina Mitglied")
    org = make_org(db)
    add_member(db, member, org, MembershipRole.REPRESENTATIVE)
    db.session.add(Membership(organisation=org, user=make_user(), role="member", status="requested"))
    seminar = make_event(db, "Seminar Finanzen", [at(2, 1)], venue=venue)
    ticket = add_registration(db, member, slot_of(db, seminar), org=org)
    full = make_event(db, "Volles Seminar", [at(2, 3)], capacity=1, venue=venue)
    add_registration(db, make_user(), slot_of(db, full))
    add_registration(db, make_user(), slot_of(db, full), status="waitlisted")
    add_registration(db, member, slot_of(db, full), status="waitlisted", org=org)
    now = utcnow()
    round_ = TopicRound(title="Themenrunde Frühjahr", phase="voting", proposals_open_at=now - timedelta(days=20),
                        moderation_at=now - timedelta(days=10), voting_opens_at=now - timedelta(days=5),
                        voting_closes_at=now + timedelta(days=5), points_budget=5, max_per_topic=3)
    db.session.add(round_)
    db.session.commit()

    login(member)
    response = client.get("/")
    page = text_of(response)
    html = response.get_data(as_text=True)
    assert "For you" in page
    assert "Your next event: Seminar Finanzen" in page
    assert f'href="/my/registrations/{ticket.id}/ticket"' in html
    assert "Volles Seminar: waiting list, position 2" in page
    assert f"Themenrunde Frühjahr: the ballot of {org.name} is still empty." in page
    assert f'href="/topics/{round_.id}/ballot/{org.id}"' in html
    assert f"{org.name}: 1 person asks to join." in page
    assert f'href="/orgs/{org.id}/members"' in html


def test_a_member_with_nothing_pending_is_told_so(client, db, make_user, login):
    login(make_user())
    assert "Nothing is waiting for you." in text_of(client.get("/"))


@pytest.mark.parametrize("role,landing", [(Role.STAFF, "/staff/"), (Role.ADMIN, "/staff/"),
                                          (Role.DOOR, "/door/"), (Role.MEMBER, "/")])
def test_after_log_in_each_role_lands_where_its_work_is(client, make_user, role, landing):
    user = make_user(role)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == landing


@pytest.mark.parametrize("role", [Role.STAFF, Role.DOOR, Role.MEMBER])
def test_after_log_in_everyone_returns_to_the_page_that_sent_them(client, make_user, role):
    user = make_user(role)
    response = client.post("/login?next=/events/1", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/events/1"


def test_the_cancel_page_promises_the_seat_to_the_waiting_list_only_when_someone_waits(
        client, db, venue, make_user, login):
    member = make_user()
    event = make_event(db, "Seminar Finanzen", [at(3, 1)], capacity=1, venue=venue)
    mine = add_registration(db, member, slot_of(db, event))
    login(member)
    page = text_of(client.get(f"/registrations/{mine.id}/cancel"))
    assert "Your seat will be free again for others." in page
    assert "waiting list" not in page

    add_registration(db, make_user(), slot_of(db, event), status="waitlisted")
    page = text_of(client.get(f"/registrations/{mine.id}/cancel"))
    assert "Your seat will go to the next person on the waiting list." in page


def test_after_the_deadline_the_cancel_page_says_it_counts_as_late_and_still_cancels(client, app, db, venue,
                                                                                      make_user, login):
    member = make_user()
    event = make_event(db, "Seminar morgen", [utcnow() + timedelta(hours=5)], venue=venue)
    db.session.get(Event, event.id).cancellation_deadline_hours = 24
    db.session.commit()
    mine = add_registration(db, member, slot_of(db, event))
    login(member)
    page = text_of(client.get(f"/registrations/{mine.id}/cancel"))
    assert "it will be recorded as a late cancellation" in page
    assert "Yes, cancel" in page


def test_once_it_has_started_the_cancel_page_says_how_to_reach_the_office(client, app, db, venue, make_user, login):
    app.config.update(OFFICE_NAME="MIA-DO-KI Stadt Dortmund", OFFICE_EMAIL="buero@mia-do.example.org")
    member = make_user()
    event = make_event(db, "Reihe läuft", [utcnow() - timedelta(hours=1), utcnow() + timedelta(days=7)],
                       kind="series", venue=venue)
    mine = add_registration(db, member, slot_of(db, event))
    login(member)
    response = client.get(f"/registrations/{mine.id}/cancel")
    page = text_of(response)
    assert "It can no longer be cancelled online" in page
    assert "MIA-DO-KI Stadt Dortmund" in page
    assert 'href="mailto:buero@mia-do.example.org"' in response.get_data(as_text=True)
    assert "Yes, cancel" not in page


def test_every_registration_state_says_why_and_until_when(client, db, venue):
    now = utcnow()
    make_event(db, "Mit Frist", [now + timedelta(days=9)], venue=venue,
               registration_closes_at=now + timedelta(days=2))
    make_event(db, "Ohne Frist", [now + timedelta(days=10)], venue=venue)
    make_event(db, "Frist vorbei", [now + timedelta(days=11)], venue=venue,
               registration_closes_at=now - timedelta(hours=1))
    make_event(db, "Läuft schon", [now - timedelta(minutes=30)], venue=venue)
    page = text_of(client.get("/"))

    def state(title):
        return re.search(rf"{title} .*? seats? free (.*?) (Register|Details)", page).group(1)

    assert state("Mit Frist").startswith("Registration open until ") and state("Mit Frist") != (
        "Registration open until the start")
    assert state("Ohne Frist") == "Registration open until the start"
    assert re.fullmatch(r"Registration closed on .+ – begins .+", state("Frist vorbei"))
    assert state("Läuft schon") == "Registration closed – it has begun"


def test_on_a_phone_the_month_is_an_agenda_of_the_days_with_events(client, db, venue):
    make_event(db, "Abendtreffen", [at(7, 10, 18, 0)], venue=venue)
    make_event(db, "Frühstück", [at(7, 3, 9, 30)], venue=venue)
    html = client.get(f"/calendar/{at(7, 1).year}/7").get_data(as_text=True)
    agenda = re.search(r'<ol class="agenda">(.*?)</ol>', html, re.S).group(1)
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', agenda)
    assert days == [f"{at(7, 1).year}-07-03", f"{at(7, 1).year}-07-10"]
    assert re.findall(r'<a href="/events/\d+">.*?</span> <bdi[^>]*>([^<]+)</bdi></a>', agenda) == ["Frühstück", "Abendtreffen"]


def test_a_draft_says_only_that_registration_is_closed(client, db, venue, make_user, login):
    draft = make_event(db, "Entwurf Fördermittel", [utcnow() + timedelta(days=3)], status="draft", venue=venue)
    login(make_user(Role.STAFF))
    page = text_of(client.get(f"/events/{draft.id}"))
    assert "Registration closed" in page
    assert "it has begun" not in page and "Registration closed on" not in page
