"""Staff pages that prevent slips: the dates of a rule before it creates
sessions, events in date order, a dashboard whose every to-do is a link, a
confirm step before a role changes, a broadcast preview that keeps its
paragraphs."""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.models.accounts import Role, User
from miado_events.models.events import EventSession
from miado_events.models.orgs import Membership, MembershipRole, MembershipStatus

from .test_event_views import YEAR, add_registration, at, make_event, make_org, make_venue, slot_of


def _text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def second_tuesday(month: int) -> int:
    first = date(YEAR, month, 1)
    return 1 + (1 - first.weekday()) % 7 + 7


def _rule(venue, **extra) -> dict:
    data = {"frequency": "monthly_nth_weekday", "nth": "2", "weekday": "1", "first_day": f"{YEAR}-01-01",
            "start": "18:00", "end": "20:00", "count": "3", "venue_id": str(venue.id)}
    data.update(extra)
    return data


def test_a_recurrence_rule_first_shows_its_dates_and_creates_nothing(client, db, login, make_user):
    login(make_user(Role.STAFF))
    venue = make_venue(db)
    event = make_event(db, "Sprachcafé", status="draft")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(f"/staff/events/{event.id}/sessions/recurring", data=_rule(venue))
    assert response.status_code == 200
    page = _text(response)
    # The second Tuesdays of January, February and March.
    for number, month in ((1, "January"), (2, "February"), (3, "March")):
        day = second_tuesday(number)
        assert re.search(rf"{month} {day}\b|\b{day} {month}", page), page
    assert "Create these 3 meetings" in page
    assert 'name="confirm" value="1"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(EventSession).where(EventSession.event_id == event.id)) is None


def test_the_confirm_button_creates_exactly_the_dates_shown(client, db, login, make_user):
    login(make_user(Role.STAFF))
    venue = make_venue(db)
    event = make_event(db, "Sprachcafé", status="draft")
    preview = client.post(f"/staff/events/{event.id}/sessions/recurring", data=_rule(venue, count="4"))
    kept = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"',
                           preview.get_data(as_text=True)))
    kept.pop("csrf_token", None)
    assert preview.status_code == 200 and kept["count"] == "4"
    response = client.post(f"/staff/events/{event.id}/sessions/recurring", data={**kept, "confirm": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    starts = sorted(s.starts_at for s in db.session.scalars(
        select(EventSession).where(EventSession.event_id == event.id)))
    assert starts == [at(month, second_tuesday(month)) for month in (1, 2, 3, 4)]


def test_staff_event_list_is_in_date_order_upcoming_first(client, db, login, make_user):
    login(make_user(Role.STAFF))
    now = utcnow()
    make_event(db, "Later event", [now + timedelta(days=40)])
    make_event(db, "Past event", [now - timedelta(days=30)])
    make_event(db, "Sooner event", [now + timedelta(days=3)])
    make_event(db, "Long past event", [now - timedelta(days=300)])
    make_event(db, "Undated draft", status="draft")
    page = _text(client.get("/staff/events"))
    order = sorted(["Later event", "Past event", "Sooner event", "Long past event", "Undated draft"],
                   key=page.index)
    assert order == ["Sooner event", "Later event", "Undated draft", "Past event", "Long past event"]


def test_every_item_waiting_for_staff_on_the_dashboard_is_a_link(client, db, login, make_user):
    login(make_user(Role.STAFF))
    org = make_org(db)
    db.session.add(Membership(user=make_user(), organisation=org, role=MembershipRole.MEMBER.value,
                              status=MembershipStatus.REQUESTED.value))
    db.session.commit()
    html = client.get("/staff/").get_data(as_text=True)
    todo = html.split('<ul class="todo-list">', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", todo, re.S)
    assert len(items) >= 4
    assert all(item.strip().startswith("<a href=") for item in items), items
    link = re.search(r'href="([^"]*join_requests[^"]*)"', todo).group(1)
    assert "Kulturbrücke Dortmund e.V." in _text(client.get(unescape(link)))


def test_a_role_change_asks_for_confirmation_first(client, db, login, make_user):
    login(make_user(Role.ADMIN))
    member = make_user(name="Mina Yilmaz")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(f"/admin/users/{member.id}/role", data={"role": "admin"})
    assert response.status_code == 200
    assert "Mina Yilmaz" in _text(response) and "Yes, change the role" in _text(response)
    db.session.expire_all()
    assert db.session.get(User, member.id).role == "member"
    client.post(f"/admin/users/{member.id}/role", data={"role": "admin", "confirm": "1"})
    db.session.expire_all()
    assert db.session.get(User, member.id).role == "admin"


def test_the_broadcast_preview_keeps_paragraphs_without_an_inline_style(client, db, login, make_user):
    login(make_user(Role.STAFF))
    event = make_event(db, "Sprachcafé", [at(3, 3)])
    add_registration(db, make_user(), slot_of(db, event))
    response = client.post(f"/staff/events/{event.id}/broadcast",
                           data={"subject": "Raum", "body": "Erster Absatz.\n\nZweiter Absatz.",
                                 "audience": ["confirmed"]})
    html = response.get_data(as_text=True)
    preview = html.split('id="preview-heading"', 1)[1].split("</section>", 1)[0]
    assert "style=" not in preview  # the page's CSP blocks inline styles
    assert re.search(r'<p class="preformatted">Erster Absatz.\n\nZweiter Absatz.</p>', preview)
    css = open("static/css/app.css", encoding="utf-8").read()
    assert re.search(r"\.preformatted\s*\{[^}]*white-space:\s*pre-(wrap|line)", css)
