"""The door over HTTP: the sync endpoint answers every item (200, committed)
whatever goes wrong with one, replays change nothing, another event's
registrants stay unknown on every door path, late offline check-ins wait for
staff on the attendance page, the scanner gets the code rules from the
server, and the service worker names its cache after the asset versions."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from miado_events.checkin import tickets
from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.checkin import Attendance, CheckinScan, DoorAssignment
from miado_events.models.events import Registration

from .test_event_views import add_member, add_registration, make_event, make_org, slot_of


def sync(client, session, items):
    return client.post(f"/door/api/sessions/{session.id}/sync", json={"items": items})


def attendances(db) -> list[Attendance]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attendance).order_by(Attendance.id)))


@pytest.fixture
def event(db):
    return make_event(db, "Vernetzungscafé heute", [utcnow() - timedelta(minutes=30)])


@pytest.fixture
def session(event):
    return event.sessions[0]


@pytest.fixture
def door(db, make_user, event):
    user = make_user(Role.DOOR, name="Doris Door")
    db.session.add(DoorAssignment(event_id=event.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def at_door(client, login, door):
    login(door)
    return client


def seat(db, user, event, org=None) -> Registration:
    add_registration(db, user, slot_of(db, event), org=org)
    return db.session.scalar(select(Registration).where(Registration.user_id == user.id,
                                                        Registration.event_id == event.id))


@pytest.fixture
def stranger(db, make_user):
    """A registrant of another event (with an MSO), who must stay unknown at this door."""
    other = make_event(db, "Geheimes Seminar", [utcnow() - timedelta(minutes=20)])
    org = make_org(db, "Verein Anderswo e.V.")
    person = make_user(name="Sabine Secret")
    add_member(db, person, org)
    return seat(db, person, other, org)


def test_one_bad_item_does_not_break_the_sync_of_the_others(db, at_door, session, event, make_user):
    gone = seat(db, make_user(name="Gerda Gone"), event)
    here = seat(db, make_user(name="Hana Here"), event)
    gone.user_id = None  # what deleting the account leaves behind
    db.session.commit()
    response = sync(at_door, session, [
        {"ref": "a", "registration_id": gone.id, "at": utcnow().isoformat(), "offline": True},
        {"ref": "b", "registration_id": here.id, "at": utcnow().isoformat(), "offline": True},
    ])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["ref"], r["outcome"]) for r in results] == [("a", "invalid"), ("b", "checked_in")]
    assert [a.registration_id for a in attendances(db)] == [here.id]


def test_a_replayed_batch_is_answered_from_the_ledger_and_changes_nothing(db, at_door, session, event,
                                                                         make_user):
    person = seat(db, make_user(), event)
    batch = [{"ref": "in", "registration_id": person.id},
             {"ref": "out", "registration_id": person.id, "undo": True},
             {"ref": "in-again", "registration_id": person.id}]
    assert [r["outcome"] for r in sync(at_door, session, batch).get_json()["results"]] == [
        "checked_in", "undone", "checked_in"]
    replay = sync(at_door, session, batch[:2]).get_json()["results"]
    assert [(r["outcome"], r["replayed"]) for r in replay] == [("checked_in", True), ("undone", True)]
    assert len(attendances(db)) == 1
    assert db.session.scalar(select(CheckinScan.id).where(CheckinScan.client_ref == "out")) is not None


@pytest.mark.parametrize("item", [
    {"ref": "p1", "registration_id": "ID"},
    {"ref": "p1", "registration_id": "ID", "undo": True},
    {"ref": "p1", "registration_id": "ID", "offline": True},
    {"ref": "p1", "scan": "TICKET"},
], ids=["check-in", "undo", "offline", "scan"])
def test_another_events_registrant_stays_unknown_to_the_sync(db, at_door, session, stranger, item):
    item = {k: (stranger.id if v == "ID" else tickets.ticket_url(stranger) if v == "TICKET" else v)
            for k, v in item.items()}
    response = sync(at_door, session, [item])
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for secret in ("Sabine", "Anderswo", "Geheimes"):
        assert secret not in body
    [result] = response.get_json()["results"]
    assert result["tone"] == "red" and result["registration_id"] is None
    assert attendances(db) == []


def test_another_events_registrant_stays_unknown_to_the_door_forms(db, at_door, session, stranger):
    data = {"registration_id": str(stranger.id)}
    response = at_door.post(f"/door/sessions/{session.id}/checkin", data=data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # (Listed MSOs appear in the walk-in form's list anyway; the person and the event do not.)
    assert "Sabine" not in body and "Geheimes" not in body
    assert "Not valid for this session" in body or "Nicht gültig" in body
    assert at_door.post(f"/door/sessions/{session.id}/undo", data=data).status_code == 404
    roster = at_door.get(f"/door/api/sessions/{session.id}/roster").get_data(as_text=True)
    assert "Sabine" not in roster
    search = at_door.get(f"/door/sessions/{session.id}?q=Sabine").get_data(as_text=True)
    assert "Sabine Secret" not in search


def test_late_offline_check_in_goes_to_the_staff_review_list(db, app, client, login, at_door, session, event,
                                                            make_user):
    person = seat(db, make_user(name="Lena Late"), event)
    app.config["CHECKIN_SYNC_GRACE_MINUTES"] = 0
    app.config["CHECKIN_CLOSES_MINUTES"] = -600  # the window closed long ago
    long_ago = (utcnow() - timedelta(minutes=25)).isoformat()
    [result] = sync(at_door, session, [
        {"ref": "late", "registration_id": person.id, "at": long_ago, "offline": True}]).get_json()["results"]
    assert result["outcome"] == "held_for_review"
    assert attendances(db) == []
    scan_id = db.session.scalar(select(CheckinScan.id).where(CheckinScan.client_ref == "late"))
    # Door staff cannot decide.
    assert at_door.post(f"/staff/checkin-reviews/{scan_id}", data={"decision": "accept"}).status_code == 403
    at_door.post("/logout")
    login(make_user(Role.STAFF))
    page = client.get(f"/staff/events/{event.id}/attendance").get_data(as_text=True)
    assert "Lena Late" in page and f"/staff/checkin-reviews/{scan_id}" in page
    response = client.post(f"/staff/checkin-reviews/{scan_id}", data={"decision": "accept"})
    assert response.status_code in (302, 303)
    [attendance] = attendances(db)
    assert attendance.registration_id == person.id
    assert attendance.checked_in_at.isoformat()[:19] == long_ago[:19]
    page = client.get(f"/staff/events/{event.id}/attendance").get_data(as_text=True)
    assert f"/staff/checkin-reviews/{scan_id}" not in page
    # Deciding twice: a clear message, nothing changes.
    again = client.post(f"/staff/checkin-reviews/{scan_id}", data={"decision": "reject"})
    assert again.status_code in (302, 303)
    assert db.session.get(CheckinScan, scan_id).review == "accepted"


def test_the_scanner_gets_the_code_rules_from_the_server(db, at_door, session):
    page = at_door.get(f"/door/sessions/{session.id}").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="scanner-config">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["code"] == tickets.scanner_code_rules()
    script = at_door.get("/static/js/scanner.js").get_data(as_text=True)
    assert "0123456789ABCDEFGHJKMNPQRSTVWXYZ" not in script


def test_the_service_worker_caches_the_fingerprinted_assets_under_a_versioned_name(app, client):
    body = client.get("/door/sw.js").get_data(as_text=True)
    with app.test_request_context():
        from flask import url_for

        scanner = url_for("static", filename="js/scanner.js")
    assert "?v=" in scanner and json.dumps(scanner) in body
    cache = re.search(r'var CACHE = "(miado-door-[0-9a-f]+)";', body).group(1)
    assert "ignoreSearch" not in body
    # Another version of an asset: another worker, another cache name.
    app.view_functions  # noqa: B018 (the app is already serving)
    from miado_events.checkin import views

    real = views.door_asset_urls
    views.door_asset_urls = lambda: [u.replace("?v=", "?v=0") for u in real()]
    try:
        changed = client.get("/door/sw.js").get_data(as_text=True)
    finally:
        views.door_asset_urls = real
    assert re.search(r'var CACHE = "(miado-door-[0-9a-f]+)";', changed).group(1) != cache


def test_the_sync_is_committed_by_the_requests_unit_of_work(db, at_door, session, event, make_user, stranger):
    person = seat(db, make_user(), event)
    response = sync(at_door, session, [{"ref": "c1", "registration_id": person.id},
                                       {"ref": "c2", "registration_id": stranger.id}])
    assert response.status_code == 200
    # Another connection sees both ledger rows and the check-in: the request committed.
    from sqlalchemy import func

    with db.engine.connect() as other:
        assert other.execute(select(func.count()).select_from(Attendance)).scalar() == 1
        assert other.execute(select(func.count()).select_from(CheckinScan)).scalar() == 2
