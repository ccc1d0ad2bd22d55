"""What my MSO has booked (/my/organisations/<id>/bookings): per upcoming event,
who of the MSO holds a seat or waits, and how many of the MSO's seats are used;
only its representatives and staff see it. And a representative registered
themselves can still register colleagues from the event page."""
from __future__ import annotations

import re
from datetime import timedelta

from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.models.accounts import Role
from miado_events.models.orgs import MembershipRole

from .test_event_views import add_member, add_registration, at, make_event, make_org, slot_of, text_of


def words_of(response) -> str:
    """The page's text without its tags, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def _rep(db, make_user, org, name="Rana Vertreterin"):
    rep = make_user(name=name)
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    return rep


def _colleague(db, make_user, org, name):
    person = make_user(name=name)
    add_member(db, person, org)
    return person


def _register(db, person, slot, org):
    outcome = reg.register_participant(person, person, slot, org)
    db.session.commit()
    return outcome


def test_representative_sees_seats_and_waiting_list_of_their_mso(client, db, make_user, login):
    org = make_org(db)
    other = make_org(db, "Anderer Verein e.V.")
    rep = _rep(db, make_user, org)
    later = make_event(db, "Vernetzungstreffen Eving", [at(4, 2)], capacity=10)
    first = make_event(db, "Seminar Vereinsrecht", [at(3, 1)], capacity=4, org_seat_limit=2)
    untouched = make_event(db, "Seminar ohne uns", [at(3, 5)], capacity=10)
    past = make_event(db, "Vergangenes Treffen", [utcnow() - timedelta(days=3)])
    slot = slot_of(db, first)
    for name in ("Berna Zweite", "Ali Erster"):
        _register(db, _colleague(db, make_user, org, name), slot, org)
    waiting = _register(db, _colleague(db, make_user, org, "Cem Wartend"), slot, org)
    assert waiting.waitlist_reason == "org_quota_reached"
    _register(db, _colleague(db, make_user, other, "Fremde Person"), slot, other)
    _register(db, _colleague(db, make_user, org, "Dana Später"), slot_of(db, later), org)
    _register(db, _colleague(db, make_user, other, "Nur Anderer"), slot_of(db, untouched), other)
    cancelled = _register(db, _colleague(db, make_user, org, "Emre Abgesagt"), slot_of(db, later), org)
    reg.cancel_registration(rep, cancelled.registration)
    db.session.commit()
    add_registration(db, _colleague(db, make_user, org, "Frieda Vorbei"), slot_of(db, past), org=org)

    login(rep)
    response = client.get(f"/my/organisations/{org.id}/bookings")
    assert response.status_code == 200
    page = words_of(response)
    # The next event first; events without a booking of this MSO and past ones are not listed.
    assert page.index("Seminar Vereinsrecht") < page.index("Vernetzungstreffen Eving")
    assert "Seminar ohne uns" not in page and "Vergangenes Treffen" not in page
    assert "2 of 2 seats of your organisation used" in page
    assert "Registered Ali Erster Berna Zweite" in page
    assert "Cem Wartend – Position 1 on the waiting list" in page
    assert "1 seat taken (no limit per organisation)" in page
    assert "Dana Später" in page
    for name in ("Fremde Person", "Nur Anderer", "Emre Abgesagt", "Frieda Vorbei"):
        assert name not in page


def test_bookings_only_for_representatives_of_the_mso_and_staff(client, db, make_user, login):
    org = make_org(db)
    other = make_org(db, "Anderer Verein e.V.")
    url = f"/my/organisations/{org.id}/bookings"
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    for user in (_colleague(db, make_user, org, "Mira Mitglied"), _rep(db, make_user, other, "Otto Anders"),
                 make_user(Role.DOOR)):
        login(user)
        assert client.get(url).status_code == 403, user.name
        client.post("/logout")
    login(make_user(Role.STAFF))
    assert client.get(url).status_code == 200
    assert client.get("/my/organisations/424242/bookings").status_code == 404


def test_bookings_empty_state_and_links_from_my_organisations(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    member = _colleague(db, make_user, org, "Mira Mitglied")
    login(rep)
    assert "Nobody of your organisation is registered for an upcoming event." in text_of(
        client.get(f"/my/organisations/{org.id}/bookings"))
    link = f'href="/my/organisations/{org.id}/bookings"'
    assert link in client.get("/my/organisations").get_data(as_text=True)
    assert link in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    client.post("/logout")
    login(member)
    assert link not in client.get("/my/organisations").get_data(as_text=True)
    assert link not in client.get(f"/orgs/{org.id}").get_data(as_text=True)


def test_bookings_are_paginated_by_event(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    person = _colleague(db, make_user, org, "Mira Mitglied")
    for day in range(1, 13):
        event = make_event(db, f"Treffen Nummer {day:02d}", [at(5, day)])
        _register(db, person, slot_of(db, event), org)
    login(rep)
    first = words_of(client.get(f"/my/organisations/{org.id}/bookings"))
    second = words_of(client.get(f"/my/organisations/{org.id}/bookings?page=2"))
    assert re.findall(r"Treffen Nummer (\d+)", first)[::2] == [f"{d:02d}" for d in range(1, 11)]
    assert re.findall(r"Treffen Nummer (\d+)", second)[::2] == ["11", "12"]
    assert "Page 2 of 2" in second


def test_representative_registered_themselves_can_still_register_a_colleague(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    colleague = _colleague(db, make_user, org, "Kemal Kollege")
    event = make_event(db, "Seminar Buchhaltung", [at(3, 1)])
    slot = slot_of(db, event)
    _register(db, rep, slot, org)
    login(rep)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "You are registered" in page
    assert f'action="/events/{event.id}/slots/{slot.id}/register-member"' in page
    assert f'value="{org.id}:{colleague.id}"' in page
