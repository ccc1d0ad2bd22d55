"""Outbox recipes: a row that says what to send (kind, payload, language),
rendered by the renderer registered for its kind; and the database refuses a
row that holds neither a message nor a recipe."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from miado_events import mail
from miado_events.database import utcnow
from miado_events.mail import outbox as outbox_mod
from miado_events.mail.inline import DeliveredList
from miado_events.models.mail import OutboxMessage


@pytest.fixture
def greeting(monkeypatch):
    """A renderer for the kind ``greeting`` (an existing template)."""
    calls = []

    def render(payload, *, to, locale):
        calls.append((payload, to, locale))
        if payload.get("gone"):
            return None
        return mail.render_message(to, "account_exists", locale, user=SimpleNamespace(name=payload["name"]),
                                   login_url="http://localhost/login", reset_url="http://localhost/forgot")

    monkeypatch.setitem(mail._RENDERERS, "greeting", render)
    return calls


def later():
    return utcnow() + timedelta(seconds=2)


def test_a_recipe_is_rendered_by_its_renderer_in_the_recipients_language(app, db, outbox, greeting):
    app.config["MAIL_SEND_INLINE"] = False
    mail.queue_recipe("ada@example.org", "greeting", "de", {"name": "Ada"}, template="account_exists")
    db.session.commit()

    assert outbox_mod.deliver_due(now=later())["sent"] == 1

    assert greeting == [({"name": "Ada"}, "ada@example.org", "de")]
    [msg] = list(outbox)
    assert msg["To"] == "ada@example.org" and msg["Content-Language"] == "de"
    row = db.session.scalar(select(OutboxMessage))
    db.session.refresh(row)
    assert row.status == "sent" and row.subject == str(msg["Subject"]) and row.raw is not None


def test_a_recipe_whose_renderer_returns_nothing_is_dropped(app, db, outbox, greeting):
    app.config["MAIL_SEND_INLINE"] = False
    mail.queue_recipe("ada@example.org", "greeting", "en", {"gone": True}, template="account_exists")
    db.session.commit()

    assert outbox_mod.deliver_due(now=later()) == {"sent": 0, "queued": 0, "failed": 0, "dropped": 1}
    assert list(outbox) == []


def test_a_kind_nobody_renders_fails_with_a_clear_error(app, db, outbox):
    app.config["MAIL_SEND_INLINE"] = False
    mail.queue_recipe("ada@example.org", "nobody-renders-this", "en", {}, template="x")
    db.session.commit()

    assert outbox_mod.deliver_due(now=later())["failed"] == 1
    row = db.session.scalar(select(OutboxMessage))
    db.session.refresh(row)
    assert row.status == "failed" and "no renderer for mail kind 'nobody-renders-this'" in row.last_error


def test_a_row_with_neither_message_nor_recipe_is_refused(db):
    db.session.add(OutboxMessage(to_address="ada@example.org", subject="", template="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_no_recipe_for_an_empty_address_and_none_while_suppressed(app, db, greeting):
    mail.queue_recipe(None, "greeting", "en", {"name": "Ada"}, template="account_exists")
    with mail.suppressed():
        mail.queue_recipe("ada@example.org", "greeting", "en", {"name": "Ada"}, template="account_exists")
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage)) is None


def test_the_delivered_list_waits_for_the_delivery_thread_before_it_is_read():
    waited = []
    box = DeliveredList(SimpleNamespace(wait_idle=lambda: waited.append(True)))
    box.append("a message")  # the thread appends without waiting
    assert waited == []
    assert len(box) == 1 and list(box) == ["a message"] and box[0] == "a message"
    assert len(waited) >= 3
    assert waited  # every read waited first
