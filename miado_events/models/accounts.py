"""People who sign in, and the single-use tokens mailed to them."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..database import UTCDateTime, utcnow
from ..enums import RichEnum


class Role(RichEnum):
    MEMBER = "member", _l("Member")
    DOOR = "door", _l("Door staff")
    STAFF = "staff", _l("Staff")
    ADMIN = "admin", _l("Admin")


ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        Role.check_constraint("role", name="role_valid"),
        # E-mail addresses are stored lower-cased; one account per address.
        Index("uq_users_email", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for a person registered without an address (by phone, at the door).
    email: Mapped[str | None] = mapped_column(String(254))
    # Optional, for a person registered by phone (see accounts.people.validate_phone).
    phone: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    locale: Mapped[str] = mapped_column(String(8), default="de")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy_consent_version: Mapped[str | None] = mapped_column(String(32))
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Counts password changes (sessions themselves live in login_sessions).
    auth_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Secret part of the person's calendar feed URL; renewing it retires the old URL.
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the person opted out of the office's news to MSOs (never of
    # mail about their own registrations); see miado_events/outreach.
    office_news_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[UserToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    #: The key of the login session this object was loaded for (not a column):
    #: set at log-in and by the user loader, carried by the session cookie and
    #: the remember-me cookie.
    login_key = None

    def get_id(self) -> str | None:
        return self.login_key

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return self.is_enabled

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_account(self) -> bool:
        """A person who can sign in; a guest (registered without an account,
        by phone or at the door) has no password."""
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class TokenPurpose(RichEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CHANGE_EMAIL = "change_email"
    STAFF_INVITE = "staff_invite"


class UserToken(db.Model):
    """A single-use, expiring token. Only its SHA-256 hash is stored."""

    __tablename__ = "user_tokens"
    __table_args__ = (
        TokenPurpose.check_constraint("purpose", name="purpose_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # For change_email: the new address, applied when the link is opened.
    new_email: Mapped[str | None] = mapped_column(String(254))
    # For verify_email: an MSO invitation opened before signing up; the person
    # joins that MSO when the address is verified (orgs listens to email_verified).
    org_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_invitations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.expires_at > now


class LoginSession(db.Model):
    """One log-in on one device. The session cookie and the remember-me cookie
    carry its random key (only the SHA-256 hash is stored): log-out ends this
    record, "log out everywhere" and a new password end all of them, and a
    copied cookie then opens nothing."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class LoginFailure(db.Model):
    """A failed password log-in, counted per account and per network address
    (see accounts.login_limits). Both are kept only as keyed hashes (HMAC with
    the app's secret): the account as the e-mail address entered, whether or
    not an account has it (so a lock tells nobody which addresses have
    accounts), the network address as the client's IP. Rows older than the
    longest window are deleted as new ones come in."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_account_failed", "account_key", "failed_at"),
                      Index("ix_login_failures_address_failed", "address_key", "failed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
