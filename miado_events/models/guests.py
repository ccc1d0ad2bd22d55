"""Personal management links: how a person without an account (a guest)
sees, cancels and deletes their registration without logging in.

A link belongs to one registration (not to the person: a guest may have
several registrations, each mailed with its own link). It is reusable until
revoked, unlike the single-use ``UserToken`` of accounts (which expire after
hours and are consumed on first use), so it lives in a table of its own.
Only the SHA-256 hash of the secret is stored."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db
from .events import Registration


class RegistrationLink(db.Model):
    __tablename__ = "registration_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when the registration is cancelled or the person's data deleted,
    #: or by staff: the link opens nothing any more.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration: Mapped[Registration] = relationship()

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        """Not revoked, and its registration still holds a seat or a place
        for a person (not anonymised)."""
        registration = self.registration
        return (self.revoked_at is None and registration.user_id is not None
                and registration.is_active)
