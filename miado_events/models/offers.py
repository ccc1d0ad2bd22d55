"""Seats offered from the waiting list (events in "offer" mode).

An open offer holds its seat: the seat is counted in the slot's
``confirmed_count`` (and the MSO's counter) from the moment it is offered, so
the CHECK constraints on those counters keep holding and nobody else can take
it. The offer ends exactly once (accepted, declined, expired or withdrawn) by
a conditional UPDATE on its state; a partial unique index allows at most one
open offer per registration. Only the SHA-256 hash of the link's secret is
stored.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..enums import RichEnum
from ..extensions import db
from .events import Registration


class OfferState(RichEnum):
    OPEN = "open", _l("Open")
    ACCEPTED = "accepted", _l("Accepted")
    DECLINED = "declined", _l("Declined")
    EXPIRED = "expired", _l("Expired")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


_OPEN_SQL = OfferState.sql_in("state", [OfferState.OPEN])


class WaitlistOffer(db.Model):
    __tablename__ = "waitlist_offers"
    __table_args__ = (
        OfferState.check_constraint("state", name="state_valid"),
        CheckConstraint("expires_at > offered_at", name="expires_after_offer"),
        CheckConstraint(f"{_OPEN_SQL} OR closed_at IS NOT NULL", name="closed_unless_open"),
        # At most one open offer per registration: one seat held per person.
        Index("uq_waitlist_offers_open_per_registration", "registration_id", unique=True,
              sqlite_where=text(_OPEN_SQL), postgresql_where=text(_OPEN_SQL)),
        Index("ix_waitlist_offers_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("registration_slots.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=OfferState.OPEN.value)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration: Mapped[Registration] = relationship()

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_open(self) -> bool:
        return self.state == OfferState.OPEN.value

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
