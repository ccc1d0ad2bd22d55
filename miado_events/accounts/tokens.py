"""Single-use, expiring tokens sent by e-mail. Only hashes are stored."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.accounts import TokenPurpose, User, UserToken


def issue_token(
    user: User, purpose: TokenPurpose, hours: int, *, new_email: str | None = None,
    org_invitation_id: int | None = None, now: datetime | None = None,
) -> str:
    """Create a token for ``user``; return the raw value for the e-mail link."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user=user,
            purpose=purpose.value,
            token_hash=UserToken.hash(raw),
            new_email=new_email,
            org_invitation_id=org_invitation_id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return raw


def find_token(raw: str, purpose: TokenPurpose, *, now: datetime | None = None) -> UserToken:
    """The usable token for ``raw``, or a DomainError saying why not."""
    now = now or utcnow()
    token = db.session.scalar(
        select(UserToken)
        .where(UserToken.token_hash == UserToken.hash(raw or ""),
               UserToken.purpose == purpose.value)
        .with_for_update()
    )
    if token is None:
        raise DomainError("token_invalid", _l("This link is not valid. Please check that you copied it completely."))
    if token.used_at is not None:
        raise DomainError("token_used", _l("This link has already been used."))
    if token.expires_at <= now:
        raise DomainError("token_expired", _l("This link has expired. Please request a new one."))
    return token


def consume_token(raw: str, purpose: TokenPurpose, *, now: datetime | None = None) -> UserToken:
    """Mark the token used and return it. A second use fails with ``token_used``."""
    now = now or utcnow()
    token = find_token(raw, purpose, now=now)
    token.used_at = now
    return token


def revoke_tokens(user: User, purpose: TokenPurpose, *, now: datetime | None = None) -> None:
    """Make every open token of this purpose unusable (e.g. after a reset)."""
    now = now or utcnow()
    for token in user.tokens:
        if token.purpose == purpose.value and token.used_at is None:
            token.used_at = now
