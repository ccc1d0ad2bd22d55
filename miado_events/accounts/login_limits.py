"""Log-in limits that fit a venue's Wi-Fi: only *failed* password log-ins
count, per account and per network address.

* Per account: ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_LOCK_MINUTES``
  lock that account's password log-in (even with the right password) until
  the oldest of them is that old; a successful log-in or a new password
  starts the count again.
* Per address (IP): a generous ceiling, ``LOGIN_ADDRESS_MAX_FAILURES`` within
  ``LOGIN_ADDRESS_WINDOW_MINUTES``: fifty people logging in on one shared
  Wi-Fi never meet it, a password-guessing script does.

The failures are rows of ``login_failures`` in the app's database, so every
app process counts the same attempts without a shared cache; both keys are
keyed hashes (HMAC with the secret key), never the address or the IP itself.
While locked nothing is counted (the password is not even checked), so the
wait is exact: :func:`locked_for` says how long.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from werkzeug.exceptions import TooManyRequests

from ..database import utcnow
from ..errorpages import wait_message
from ..extensions import db
from ..models.accounts import LoginFailure
from . import services


class LoginLocked(TooManyRequests):
    """429 with the exact wait (Retry-After) and a message in the user's language."""

    def __init__(self, wait: timedelta):
        seconds = max(math.ceil(wait.total_seconds()), 1)
        super().__init__(retry_after=seconds)
        self.message = f"{_('There were too many failed log-ins.')} {wait_message(seconds)}"


def _key(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def account_key(email: str) -> str:
    return _key("account", services.normalise_email(email))


def address_key(address: str | None) -> str:
    return _key("address", address or "unknown")


def _limits() -> tuple[tuple[int, timedelta], tuple[int, timedelta]]:
    config = current_app.config
    return ((config.get("LOGIN_MAX_FAILURES", 10), timedelta(minutes=config.get("LOGIN_LOCK_MINUTES", 15))),
            (config.get("LOGIN_ADDRESS_MAX_FAILURES", 100),
             timedelta(minutes=config.get("LOGIN_ADDRESS_WINDOW_MINUTES", 60))))


def _wait(column, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
    """How long until fewer than ``limit`` failures of ``key`` lie in ``window``."""
    if limit <= 0:
        return None
    recent = db.session.scalars(
        select(LoginFailure.failed_at).where(column == key, LoginFailure.failed_at > now - window)
        .order_by(LoginFailure.failed_at.desc()).limit(limit)).all()
    if len(recent) < limit:
        return None
    return recent[-1] + window - now


def locked_for(email: str, address: str | None, *, now: datetime | None = None) -> timedelta | None:
    """How long password log-ins to ``email`` from ``address`` must wait, or
    None when they may go ahead."""
    now = now or utcnow()
    (per_account, account_window), (per_address, address_window) = _limits()
    waits = [w for w in (_wait(LoginFailure.account_key, account_key(email), per_account, account_window, now),
                         _wait(LoginFailure.address_key, address_key(address), per_address, address_window, now))
             if w is not None]
    return max(waits) if waits else None


def record_failure(email: str, address: str | None, *, now: datetime | None = None) -> None:
    """Count one failed log-in (and forget the ones no window needs any more)."""
    now = now or utcnow()
    longest = max(window for _limit, window in _limits())
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - longest)
                       .execution_options(synchronize_session=False))
    db.session.add(LoginFailure(account_key=account_key(email), address_key=address_key(address), failed_at=now))


def clear_failures(email: str) -> None:
    """A successful log-in (or a new password): the account's count starts again."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.account_key == account_key(email))
                       .execution_options(synchronize_session=False))
