"""Acceptance: "Nothing lost, nothing doubled" against a real SMTP server
(aiosmtpd on 127.0.0.1) that is down while mail is queued."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from miado_events import create_app
from miado_events.accounts import services as accounts
from miado_events.database import utcnow
from miado_events.extensions import db
from miado_events.mail import send_message, suppressed
from miado_events.mail.outbox import deliver_due
from miado_events.models.mail import OutboxMessage

from ..conftest import PASSWORD, app_config, reset_schema

N = 50


class _Collect:
    def __init__(self, messages, lock):
        self.messages, self.lock = messages, lock

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on a fixed port that can be stopped and started again."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.messages: list = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(_Collect(self.messages, self._lock),
                                      hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> Counter:
        with self._lock:
            return Counter(str(m["To"]) for m in self.messages)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_app(tmp_path, smtp):
    app = create_app(app_config(tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                                MAIL_PORT=smtp.port, MAIL_TIMEOUT=2))
    reset_schema(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def test_nothing_lost_while_the_mail_server_is_down(smtp_app, smtp):
    smtp.stop()
    addresses = [f"person{n}@example.org" for n in range(N)]
    for n, address in enumerate(addresses):
        user = accounts.sign_up(name=f"Person {n}", email=address, password=PASSWORD,
                                locale="en", privacy_consent=True)
        assert user is not None
        db.session.commit()  # inline delivery fails; the sign-up must not

    assert statuses() == {"queued": N}
    attempts = set(db.session.scalars(select(OutboxMessage.attempts)))
    assert attempts == {1}
    assert all(db.session.scalars(select(OutboxMessage.last_error)))
    assert smtp.messages == []

    smtp.start()
    assert deliver_due() == {"sent": 0, "queued": 0, "failed": 0}  # backoff not over yet
    counts = deliver_due(now=utcnow() + timedelta(hours=1))
    assert counts == {"sent": N, "queued": 0, "failed": 0}

    assert smtp.recipients() == Counter({a: 1 for a in addresses})
    assert statuses() == {"sent": N}
    # and a further round sends nothing again
    assert deliver_due(now=utcnow() + timedelta(days=1)) == {"sent": 0, "queued": 0, "failed": 0}
    assert len(smtp.messages) == N


def test_two_senders_deliver_each_message_once(smtp_app, smtp):
    smtp_app.config["MAIL_SEND_INLINE"] = False
    addresses = [f"person{n}@example.org" for n in range(N)]
    for address in addresses:
        send_message(address, "account_exists", "en", user=SimpleNamespace(name="Ada"),
                     login_url="http://localhost/login", reset_url="http://localhost/forgot")
    db.session.commit()
    assert statuses() == {"queued": N}

    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sender():
        try:
            with smtp_app.app_context():
                barrier.wait(timeout=5)
                results.append(deliver_due())
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    assert sum(r["sent"] for r in results) == N
    assert all(r["queued"] == 0 and r["failed"] == 0 for r in results)
    assert smtp.recipients() == Counter({a: 1 for a in addresses})
    assert len(smtp.messages) == N
    assert statuses() == {"sent": N}
    assert set(db.session.scalars(select(OutboxMessage.attempts))) == {1}


def test_registrations_succeed_and_their_invites_arrive_once_after_an_outage(smtp_app, smtp):
    """The issue's wording: 50 people register while the mail server is down."""
    from datetime import time as clock

    from miado_events.events import registration as reg
    from miado_events.events import services as events
    from miado_events.events.services import EventData, SessionData
    from miado_events.models.accounts import User

    with suppressed():  # set-up mails are not part of this test
        staff = User(email="staff@example.org", name="Staff", role="staff", locale="de",
                     email_verified_at=utcnow())
        people = [User(email=f"guest{n}@example.org", name=f"Guest {n}", locale="en",
                       email_verified_at=utcnow()) for n in range(N)]
        db.session.add_all([staff, *people])
        db.session.flush()
        event = events.create_event(staff, EventData(kind="seminar", title="Outage", capacity=N))
        events.add_session(staff, event, SessionData(day=utcnow().date() + timedelta(days=5),
                                                     start=clock(18), end=clock(20),
                                                     online_url="https://meet.example.org/x"))
        events.publish_event(staff, event)
        db.session.commit()
    smtp.stop()
    for person in people:
        outcome = reg.register_participant(person, person, event.slots[0])
        assert outcome.waitlist_reason is None
        db.session.commit()  # the registration must not depend on the mail server
    assert statuses() == {"queued": N}
    smtp.start()
    assert deliver_due(now=utcnow() + timedelta(hours=1)) == {"sent": N, "queued": 0, "failed": 0}
    assert smtp.recipients() == Counter({p.email: 1 for p in people})
    assert all("text/calendar" in str(m) for m in smtp.messages)
