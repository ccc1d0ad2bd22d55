"""The mail outbox: queued in the caller's transaction, delivered after
commit (inline) or by the sender, retried with backoff, failed for staff."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.errors import DomainError, PermissionDenied
from miado_events.mail import outbox as outbox_mod
from miado_events.mail import send_message, suppressed
from miado_events.models.accounts import Role
from miado_events.models.mail import OutboxMessage


def queue(to: str = "someone@example.org") -> None:
    send_message(to, "account_exists", "en", user=SimpleNamespace(name="Ada"),
                 login_url="http://localhost/login", reset_url="http://localhost/forgot")


def rows(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def t0():
    """A fixed 'now' just after the rows were queued (their first due time)."""
    return (utcnow() + timedelta(seconds=1)).replace(microsecond=0)


@pytest.fixture
def failing(monkeypatch):
    calls = []

    def boom(msg):
        calls.append(msg)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(outbox_mod, "deliver", boom)
    return calls


def test_commit_queues_and_delivers_inline(db, outbox):
    queue("a@example.org")
    db.session.commit()

    [row] = rows(db)
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.sent_at is not None and row.last_error is None
    assert [str(m["To"]) for m in outbox] == ["a@example.org"]
    assert outbox[0]["Subject"] == row.subject


def test_rollback_queues_nothing(db, outbox):
    queue("a@example.org")
    db.session.flush()  # the row existed in the transaction
    db.session.rollback()
    db.session.commit()  # a later, empty commit must not deliver the forgotten id

    assert rows(db) == []
    assert outbox == []


def test_suppressed_queues_nothing(db, outbox):
    with suppressed():
        queue()
    db.session.commit()
    assert rows(db) == []
    assert outbox == []


def test_without_inline_the_sender_delivers_exactly_once(app, db, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    queue("a@example.org")
    db.session.commit()

    [row] = rows(db)
    assert row.status == "queued" and row.attempts == 0
    assert outbox == []

    assert outbox_mod.deliver_due() == {"sent": 1, "queued": 0, "failed": 0}
    assert len(outbox) == 1
    assert outbox_mod.deliver_due() == {"sent": 0, "queued": 0, "failed": 0}
    assert len(outbox) == 1
    [row] = rows(db)
    assert row.status == "sent" and row.attempts == 1


def test_deliver_one_ignores_rows_not_due(app, db, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    queue()
    db.session.commit()
    [row] = rows(db)
    assert outbox_mod.deliver_one(row.id, now=row.next_attempt_at - timedelta(seconds=1)) is None
    assert outbox == []
    assert outbox_mod.deliver_one(row.id) == "sent"
    assert outbox_mod.deliver_one(row.id) is None
    assert len(outbox) == 1


def test_inline_failure_keeps_the_row_queued(db, outbox, failing):
    before = utcnow()
    queue("a@example.org")
    db.session.commit()  # must not raise: the caller's change is committed

    [row] = rows(db)
    assert len(failing) == 1
    assert row.status == "queued"
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error and "smtp down" in row.last_error
    assert before + timedelta(seconds=60) <= row.next_attempt_at <= utcnow() + timedelta(seconds=60)


def test_real_smtp_failure_keeps_the_row_queued(app, db, outbox):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    queue()
    db.session.commit()
    [row] = rows(db)
    assert row.status == "queued" and row.attempts == 1
    assert row.last_error and row.next_attempt_at > utcnow()


def test_backoff_doubles_then_fails(app, db, outbox, failing):
    app.config.update(MAIL_SEND_INLINE=False, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60)
    queue()
    db.session.commit()
    now = t0()

    assert outbox_mod.deliver_due(now=now) == {"sent": 0, "queued": 1, "failed": 0}
    [row] = rows(db)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=60)

    # not retried before it is due
    assert outbox_mod.deliver_due(now=now + timedelta(seconds=59)) == {"sent": 0, "queued": 0, "failed": 0}
    assert len(failing) == 1

    now += timedelta(seconds=60)
    assert outbox_mod.deliver_due(now=now) == {"sent": 0, "queued": 1, "failed": 0}
    [row] = rows(db)
    assert row.attempts == 2
    assert row.next_attempt_at == now + timedelta(seconds=120)
    assert outbox_mod.deliver_due(now=now + timedelta(seconds=119)) == {"sent": 0, "queued": 0, "failed": 0}

    now += timedelta(seconds=120)
    assert outbox_mod.deliver_due(now=now) == {"sent": 0, "queued": 0, "failed": 1}
    [row] = rows(db)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.is_failed and row.last_error

    # a failed message is never picked up again
    assert outbox_mod.deliver_due(now=now + timedelta(days=30)) == {"sent": 0, "queued": 0, "failed": 0}
    assert len(failing) == 3
    assert outbox == []


def test_backoff_values(app):
    app.config["MAIL_RETRY_BASE_SECONDS"] = 60
    assert [outbox_mod.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox_mod.backoff(50) == timedelta(hours=6)


def test_staff_retry_requeues_a_failed_message(app, db, outbox, make_user, monkeypatch, failing):
    app.config.update(MAIL_MAX_ATTEMPTS=1)
    queue("a@example.org")
    db.session.commit()
    [row] = rows(db)
    assert row.status == "failed"

    monkeypatch.undo()  # the mail server is back
    staff = make_user(Role.STAFF)
    outbox_mod.retry(staff, row)
    db.session.commit()
    [row] = rows(db)
    assert (row.status, row.attempts) == ("queued", 0)

    assert outbox_mod.deliver_due() == {"sent": 1, "queued": 0, "failed": 0}
    assert [str(m["To"]) for m in outbox] == ["a@example.org"]
    [row] = rows(db)
    assert row.status == "sent" and row.last_error is None

    with pytest.raises(DomainError) as err:
        outbox_mod.retry(staff, row)
    assert err.value.code == "already_sent"


def test_member_may_not_retry(app, db, outbox, make_user, failing):
    app.config.update(MAIL_MAX_ATTEMPTS=1)
    queue()
    db.session.commit()
    [row] = rows(db)
    member = make_user(Role.MEMBER)
    with pytest.raises(PermissionDenied) as err:
        outbox_mod.retry(member, row)
    assert err.value.code == "forbidden"
    db.session.rollback()
    [row] = rows(db)
    assert row.status == "failed"


def test_cli_mail_send_delivers_queued_rows(app, db, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    for n in range(3):
        queue(f"p{n}@example.org")
    db.session.commit()
    assert outbox == []

    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 3, to retry 0, failed 0" in result.output
    assert sorted(str(m["To"]) for m in outbox) == [f"p{n}@example.org" for n in range(3)]
    assert {r.status for r in rows(db)} == {"sent"}

    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "sent 0, to retry 0, failed 0" in result.output
    assert len(outbox) == 3
