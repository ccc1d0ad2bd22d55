"""Issue #21, point 1: the registration request takes the seat and queues a
recipe; the mail worker renders the mail (invite, ticket QR, guest link) and
sends it. Inline delivery runs on the process's delivery thread, never on the
request's; the ticket's QR code is drawn once and kept."""
from __future__ import annotations

import threading
from datetime import date, time

import pytest
from sqlalchemy import delete, func, select

from miado_events import create_app, mail
from miado_events.checkin import tickets
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.mail import outbox as outbox_mod
from miado_events.models.accounts import Role
from miado_events.models.checkin import TicketImage
from miado_events.models.events import Registration
from miado_events.models.mail import OutboxMessage
from miado_events.notifications import registrations as notes

from .. import conftest
from ..conftest import count_statements

DAY = date(2027, 5, 4)

#: Statements of a POST register that gets a seat, for the whole request
#: (log-in, consent, the slot, the seat, the registration, the outbox row,
#: the audit and page-cache bookkeeping). Nothing is rendered while the seat is
#: held: the outbox row is one INSERT of a recipe.
REGISTER_STATEMENTS = 14


@pytest.fixture
def event(db, make_user):
    staff = make_user(Role.STAFF)
    event = services.create_event(staff, EventData(kind="seminar", title="Schreibwerkstatt", capacity=5,
                                                   description="Texte für Anträge."))
    services.add_session(staff, event, SessionData(day=DAY, start=time(18), end=time(20),
                                                   online_url="https://meet.example.org/x"))
    services.publish_event(staff, event)
    db.session.commit()
    return _ids(event)


def _ids(event):
    """The event's and its one slot's ids (the test's session may be emptied)."""
    class Ids:
        id = event.id
        slot_id = event.slots[0].id
    return Ids


def register(client, event):
    return client.post(f"/events/{event.id}/slots/{event.slot_id}/register", data={})


def rows(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_request_queues_a_recipe_not_the_rendered_mail(app, db, client, make_user, login, event, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    member = make_user()
    login(member)
    outbox.clear()

    assert register(client, event).status_code == 302

    [row] = rows(db)
    registration = db.session.scalar(select(Registration).where(Registration.user_id == member.id))
    assert row.raw is None and row.kind == "registration" and row.status == "queued"
    assert row.to_address == member.email and row.locale == member.locale
    assert row.payload["registration_id"] == registration.id
    assert row.payload["template"] == "registration_confirmed" and row.payload["ticket"] is True
    assert db.session.scalar(select(func.count()).select_from(TicketImage)) == 0  # nothing drawn yet
    assert outbox == []


def test_the_worker_renders_invite_and_ticket_and_a_retry_sends_the_same_bytes(
        app, db, client, make_user, login, event, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    member = make_user()
    login(member)
    register(client, event)
    outbox.clear()

    assert outbox_mod.deliver_due() == {"sent": 1, "queued": 0, "failed": 0}

    [msg] = list(outbox)
    assert msg["To"] == member.email
    types = [part.get_content_type() for part in msg.walk()]
    assert "text/calendar" in types and "application/ics" in types
    [qr] = [part for part in msg.walk() if part.get_content_type() == "image/png"]
    registration = db.session.scalar(select(Registration).where(Registration.user_id == member.id))
    kept = db.session.scalar(select(TicketImage).where(TicketImage.registration_id == registration.id))
    assert qr.get_content() == kept.png  # the worker drew it and kept it
    [row] = rows(db)
    assert row.status == "sent" and row.raw is not None and row.subject == str(msg["Subject"])
    assert "Message-ID" in msg and mail.parse(row.raw)["Message-ID"] == msg["Message-ID"]


def test_a_mail_that_fails_to_render_leaves_the_registration_and_shows_on_the_outbox_page(
        app, db, client, make_user, login, event, outbox, monkeypatch):
    def broken(payload, *, to, locale):
        raise RuntimeError("template exploded")

    monkeypatch.setitem(mail._RENDERERS, "registration", broken)
    member = make_user()
    login(member)

    response = register(client, event)

    assert response.status_code == 302
    registration = db.session.scalar(select(Registration).where(Registration.user_id == member.id))
    assert registration is not None and registration.is_confirmed
    [row] = rows(db)
    assert row.status == "failed" and row.raw is None
    assert "Rendering failed: RuntimeError: template exploded" in row.last_error
    assert outbox == []

    client.post("/logout")
    login(make_user(Role.STAFF))
    page = client.get("/staff/outbox?status=failed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Rendering failed: RuntimeError: template exploded" in html
    assert f"/staff/outbox/{row.id}/retry" in html
    assert "registration_confirmed" in html  # no subject before it is rendered: the template names it

    # Fixed: staff send it again, the worker renders it now.
    monkeypatch.undo()
    assert client.post(f"/staff/outbox/{row.id}/retry").status_code == 302
    [row] = rows(db)
    assert row.status == "sent"
    assert [m["To"] for m in outbox] == [member.email]


def test_a_recipe_whose_registration_is_gone_is_dropped_not_sent(app, db, client, make_user, login, event,
                                                                  outbox):
    app.config["MAIL_SEND_INLINE"] = False
    member = make_user()
    login(member)
    register(client, event)
    db.session.execute(delete(Registration).where(Registration.user_id == member.id))
    db.session.commit()
    outbox.clear()

    counts = outbox_mod.deliver_due()

    assert counts["dropped"] == 1 and counts["sent"] == 0
    [row] = rows(db)
    assert row.status == "dropped" and row.raw is None
    assert outbox == []
    assert outbox_mod.deliver_due()["sent"] == 0  # and it stays so


def test_two_senders_render_and_send_a_recipe_exactly_once(app, db, client, make_user, login, event, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    member = make_user()
    login(member)
    register(client, event)
    [row] = rows(db)
    assert row.raw is None  # a recipe: both senders would render it
    outbox.clear()
    start = threading.Barrier(2)
    results = []

    def sender():
        with app.app_context():
            start.wait()
            results.append(outbox_mod.deliver_one(row.id))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=str) == sorted(["sent", None], key=str)
    assert len(outbox) == 1
    [row] = rows(db)
    assert row.status == "sent" and row.attempts == 1


def test_inline_delivery_runs_on_the_delivery_thread_not_the_requests(app, db, client, make_user, login, event,
                                                                     outbox, monkeypatch):
    """Without the tests' MAIL_INLINE_WAIT: the request returns, the mail is
    delivered by the process's delivery thread; a mail server that fails does
    not change the response (the row waits for its retry)."""
    app.config["MAIL_INLINE_WAIT"] = False
    delivering = []
    release = threading.Event()

    def failing(msg):
        release.wait(30)  # the response is back before anything is sent
        delivering.append(threading.get_ident())
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(outbox_mod, "deliver", failing)
    member = make_user()
    login(member)

    response = register(client, event)

    assert response.status_code == 302
    assert delivering == []
    release.set()
    deliverer = app.extensions["mail_deliverer"]
    assert deliverer.wait_idle(timeout=30)
    assert delivering == [deliverer.thread_ident] and threading.get_ident() not in delivering
    [row] = rows(db)
    assert row.status == "queued" and "smtp down" in row.last_error and row.raw is not None
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.user_id == member.id)) == 1


def _ticket_png_from_another_process(tmp_path, member, registration_id: int):
    """The member's ticket image as a second app instance (another worker) serves it."""
    other = create_app(conftest.app_config(tmp_path))
    other.test_client_class = conftest.FreshGlobalsClient
    with other.app_context():
        other_client = other.test_client()
        other_client.post("/login", data={"email": member.email, "password": conftest.PASSWORD})
        response = other_client.get(f"/my/registrations/{registration_id}/ticket.png")
        from miado_events.extensions import db as other_db
        other_db.session.remove()
    return response


def test_the_ticket_qr_is_drawn_once_for_every_process(app, db, client, make_user, login, event, outbox,
                                                        tmp_path, monkeypatch):
    """Mail, ticket page and a second app instance (another process, or this
    one after a restart) all show the one image drawn for the ticket."""
    drawn = []
    draw = tickets.qr_png.__wrapped__  # uncached: every call draws

    def counting(data, **kwargs):
        drawn.append(data)
        return draw(data, **kwargs)

    monkeypatch.setattr(tickets, "qr_png", counting)
    member = make_user()
    login(member)
    register(client, event)
    registration = db.session.scalar(select(Registration).where(Registration.user_id == member.id))
    assert len(outbox) == 1 and len(drawn) == 1  # the worker drew it for the mail

    first = client.get(f"/my/registrations/{registration.id}/ticket.png")
    second = _ticket_png_from_another_process(tmp_path, member, registration.id)

    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert len(drawn) == 1


def test_post_register_costs_a_pinned_number_of_statements_and_draws_nothing(
        app, db, client, make_user, login, event, outbox, monkeypatch):
    app.config["MAIL_SEND_INLINE"] = False
    monkeypatch.setattr(tickets, "qr_png", lambda *a, **k: pytest.fail("drawn in the request"))
    monkeypatch.setattr(notes, "render_message", lambda *a, **k: pytest.fail("rendered in the request"))
    member = make_user()
    login(member)
    client.get(f"/events/{event.id}")
    db.session.remove()

    with count_statements(db.engine) as statements:
        response = register(client, event)

    assert response.status_code == 302
    print(f"\nPOST register statements ({len(statements)}):\n" + "\n".join(s.split("\n")[0][:110]
                                                                        for s in statements))
    assert len(statements) <= REGISTER_STATEMENTS
    # While the seat is held (from the savepoint on; on SQLite the whole
    # database, until the commit) only the seat, the registration, the data
    # version and one INSERT of the recipe run: nothing is rendered or drawn.
    held = statements[statements.index("SAVEPOINT sa_savepoint_1"):]
    allowed = ("SAVEPOINT", "RELEASE SAVEPOINT", "SELECT registration_slots.id", "UPDATE registration_slots",
               "INSERT INTO registrations", "INSERT INTO data_version", "UPDATE data_version")
    assert all(s.startswith(allowed) for s in held[:-1]), held
    assert held[-1].startswith("INSERT INTO mail_outbox")
    [row] = rows(db)
    assert row.raw is None


def test_a_ticket_page_that_draws_the_qr_keeps_it_for_the_next_process(app, db, client, make_user, login,
                                                                        event, tmp_path, monkeypatch):
    """No mail drew it (registered without the worker): the first ticket page
    draws it and keeps it with its own unit of work; another app instance
    serves the kept image."""
    from miado_events.models.events import Slot

    drawn = []
    draw = tickets.qr_png.__wrapped__

    def counting(data, **kwargs):
        drawn.append(data)
        return draw(data, **kwargs)

    monkeypatch.setattr(tickets, "qr_png", counting)
    member = make_user()
    slot = db.session.get(Slot, event.slot_id)
    registration = Registration(slot=slot, event_id=event.id, user=member, status="confirmed",
                                confirmed_at=slot.event.sessions[0].starts_at)
    slot.confirmed_count += 1
    db.session.add(registration)
    db.session.commit()
    registration_id = registration.id
    login(member)

    first = client.get(f"/my/registrations/{registration_id}/ticket.png")
    second = _ticket_png_from_another_process(tmp_path, member, registration_id)

    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert len(drawn) == 1
    db.session.expire_all()
    assert db.session.get(TicketImage, registration_id).png == first.data


def test_the_kept_qr_image_goes_with_the_person(app, db, client, make_user, login, event, outbox):
    from miado_events.privacy import services as privacy

    member = make_user()
    login(member)
    register(client, event)
    assert db.session.scalar(select(func.count()).select_from(TicketImage)) == 1

    privacy.delete_account(db.session.merge(member))  # the registration stays, anonymised
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(TicketImage)) == 0
