"""Staff write to everyone registered for an event: preview first, each
person once, through the outbox, in the chosen audience only."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from miado_events.database import utcnow
from miado_events.errors import DomainError
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.broadcast import broadcast
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role


@pytest.fixture
def full_event(db, make_user):
    staff = make_user(Role.STAFF)
    event = services.create_event(staff, EventData(kind="seminar", title="Vereinsrecht", capacity=1))
    services.add_session(staff, event, SessionData(day=utcnow().date() + timedelta(days=9),
                                                   start=time(18), end=time(20),
                                                   online_url="https://meet.example.org/x"))
    services.publish_event(staff, event)
    db.session.commit()
    seated, waiting = make_user(email="seated@example.org"), make_user(email="waiting@example.org")
    for person in (seated, waiting):
        reg.register_participant(person, person, event.slots[0])
    db.session.commit()
    return staff, event


def test_preview_then_send_to_confirmed_people_only(client, login, outbox, full_event):
    staff, event = full_event
    login(staff)
    outbox.clear()
    data = {"subject": "Raumänderung", "body": "Bitte Eingang B nutzen.", "audience": ["confirmed"]}
    preview = client.post(f"/staff/events/{event.id}/broadcast", data={**data, "preview": "1"})
    page = preview.get_data(as_text=True)
    assert "This message will go to 1 person." in page and outbox == []
    response = client.post(f"/staff/events/{event.id}/broadcast", data={**data, "send": "1"})
    assert response.status_code == 302
    assert [m["To"] for m in outbox] == ["seated@example.org"]
    assert "Bitte Eingang B nutzen." in outbox[0].get_body(("plain",)).get_content()
    assert outbox[0]["Subject"] == "Raumänderung – Vereinsrecht"


def test_waiting_list_too_and_each_person_once(db, outbox, full_event):
    staff, event = full_event
    outbox.clear()
    assert broadcast(staff, event, subject="Hinweis", body="Text",
                     audience=["confirmed", "waitlisted"]) == 2
    db.session.commit()
    assert sorted(m["To"] for m in outbox) == ["seated@example.org", "waiting@example.org"]


def test_empty_message_or_audience_is_refused(db, full_event):
    staff, event = full_event
    with pytest.raises(DomainError) as exc:
        broadcast(staff, event, subject=" ", body="Text", audience=["confirmed"])
    assert exc.value.code == "broadcast_invalid"
    with pytest.raises(DomainError) as exc:
        broadcast(staff, event, subject="S", body="Text", audience=["everyone"])
    assert exc.value.code == "broadcast_invalid"


def test_only_staff_may_broadcast(db, make_user, full_event):
    _, event = full_event
    with pytest.raises(DomainError) as exc:
        broadcast(make_user(), event, subject="S", body="B", audience=["confirmed"])
    assert exc.value.code == "forbidden"
