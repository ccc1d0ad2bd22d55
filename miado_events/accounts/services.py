"""Account rules. Services take the acting user explicitly and never commit;
the caller (view, CLI, test) commits once."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from .. import audit, signals
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import send_message
from ..models.accounts import ROLE_VALUES, LoginSession, Role, TokenPurpose, User
from ..permissions import can_change_role, can_manage_users, ensure
from ..urls import external_url
from . import login_limits
from .passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from .tokens import consume_token, issue_token, revoke_tokens


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@functools.cache
def _login_session_query():
    """The log-in session with its person, by key hash: built once per process
    (every signed-in request runs it; building it cost more than running it)."""
    return (select(LoginSession).options(joinedload(LoginSession.user))
            .where(LoginSession.key_hash == bindparam("key_hash")))


def load_user_by_session_id(session_id: str) -> User | None:
    """Flask-Login loader: the key of a login session that has not ended
    (log-out, log-out everywhere, a new password, an old session); the same
    for the session cookie and the remember-me cookie."""
    if not session_id or len(session_id) > 128:
        return None
    # One statement per request for the session and its person (every signed-in request pays it).
    login = db.session.scalar(_login_session_query(), {"key_hash": LoginSession.hash(session_id)})
    if login is None or login.created_at <= utcnow() - session_lifetime():
        return None
    user = login.user
    if not user.is_enabled:
        return None
    user.login_key = session_id
    return user


def session_lifetime() -> timedelta:
    """A login session lasts as long as the remember-me cookie can."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def start_session(user: User, *, now: datetime | None = None) -> str:
    """Open a login session for ``user`` (at log-in); its key goes in the
    cookies (through ``user.get_id()``)."""
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user=user, key_hash=LoginSession.hash(key), created_at=now or utcnow()))
    user.login_key = key
    return key


def end_session(user: User) -> None:
    """Log-out: the session this request came with ends on the server, so a
    copy of its cookie or of its remember-me cookie opens nothing any more."""
    if user.login_key:
        db.session.execute(delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.key_hash == LoginSession.hash(user.login_key)))
    user.login_key = None


def end_all_sessions(user: User, *, keep_current: bool = False) -> int:
    """Log out everywhere (or, with ``keep_current``, everywhere else);
    returns how many sessions ended."""
    condition = LoginSession.user_id == user.id
    if keep_current and user.login_key:
        condition &= LoginSession.key_hash != LoginSession.hash(user.login_key)
    ended = db.session.execute(delete(LoginSession).where(condition)
                               .execution_options(synchronize_session=False)).rowcount or 0
    if not keep_current:
        user.login_key = None
    return ended


def count_sessions(user: User) -> int:
    return db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.user_id == user.id, LoginSession.created_at > utcnow() - session_lifetime()))


def _check_password_strength(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise DomainError(
            "password_too_short",
            _l("The password must have at least %(n)d characters.", n=MIN_LENGTH),
        )


def _hours(key: str) -> int:
    return current_app.config[key]


# --- sign-up and verification ---------------------------------------------

def sign_up(
    *, name: str, email: str, password: str, locale: str, privacy_consent: bool,
    org_invitation_id: int | None = None, now: datetime | None = None,
) -> User | None:
    """Create an unverified account and mail the verification link.

    If the address already has an account, nothing is created and that
    address gets a note instead: the caller shows the same message either
    way, so the form never reveals who has an account.

    A person without an account with this address (a guest, someone
    registered at the door or by phone) is *claimed*: the same row gets the
    password and language, so their registrations are the account's. Only a
    row without a password can be claimed, and the claim verifies nothing:
    until the link in the mail is opened, nobody logs in with it. The name
    stays as registered (a claim by someone who does not own the address
    must not change what tickets and lists show); the person changes it in
    the account once logged in.

    ``org_invitation_id``: an MSO invitation opened before signing up; it
    travels with the verification link and is accepted when the address is
    verified (``signals.email_verified``).
    """
    now = now or utcnow()
    if not privacy_consent:
        raise DomainError("privacy_consent_required", _l("Please agree to the privacy notice."))
    _check_password_strength(password)
    email = normalise_email(email)
    existing = get_user_by_email(email)
    if existing is not None and existing.has_account:
        send_message(existing.email, "account_exists", existing.locale,
                     user=existing, login_url=external_url("accounts.login"),
                     reset_url=external_url("accounts.forgot_password"))
        return None
    if existing is not None:
        user = existing
        user.password_hash = hash_password(password)
        user.locale = locale
        user.email_verified_at = None  # the link in the mail proves the address, not the claim
        user.privacy_consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
        user.privacy_consent_at = now
    else:
        user = User(
            name=name.strip(),
            email=email,
            password_hash=hash_password(password),
            role=Role.MEMBER.value,
            locale=locale,
            privacy_consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            privacy_consent_at=now,
            created_at=now,
        )
        db.session.add(user)
    send_verification(user, org_invitation_id=org_invitation_id, now=now)
    return user


def send_verification(user: User, *, org_invitation_id: int | None = None,
                      now: datetime | None = None) -> None:
    """Mail a link that confirms the address. An MSO invitation waiting on an
    earlier link (opened before signing up) travels on with the new one."""
    if org_invitation_id is None:
        org_invitation_id = next((t.org_invitation_id for t in reversed(user.tokens)
                                  if t.purpose == TokenPurpose.VERIFY_EMAIL.value
                                  and t.org_invitation_id is not None), None)
    raw = issue_token(user, TokenPurpose.VERIFY_EMAIL, _hours("VERIFY_TOKEN_HOURS"),
                      org_invitation_id=org_invitation_id, now=now)
    send_message(user.email, "verify_email", user.locale, user=user,
                 verify_url=external_url("accounts.verify_email", token=raw),
                 hours=_hours("VERIFY_TOKEN_HOURS"))


def verify_email(raw_token: str, *, now: datetime | None = None) -> User:
    """Confirm the address. Announces ``signals.email_verified`` (orgs
    accepts an MSO invitation that travelled with the link)."""
    now = now or utcnow()
    token = consume_token(raw_token, TokenPurpose.VERIFY_EMAIL, now=now)
    user = token.user
    if user.email_verified_at is None:
        user.email_verified_at = now
    signals.email_verified.send(user, org_invitation_id=token.org_invitation_id, now=now)
    return user


# --- log-in ------------------------------------------------------------------

def authenticate(email: str, password: str, *, now: datetime | None = None) -> User:
    """The user for these credentials, or ``invalid_credentials``.

    An unverified account with the right password gets a fresh link and
    ``email_not_verified``; only the owner of the password learns that.
    """
    user = get_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.is_enabled:
        raise DomainError("invalid_credentials", _l("E-mail address or password is wrong."))
    if not user.is_verified:
        send_verification(user, now=now)
        raise DomainError(
            "email_not_verified",
            _l("Please confirm your e-mail address first. We have sent you a new link."),
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# --- password reset and change -------------------------------------------------

def request_password_reset(email: str, *, now: datetime | None = None) -> None:
    """Mail a reset link if the address has an account; silent otherwise."""
    user = get_user_by_email(email)
    if user is None or not user.is_enabled:
        return
    raw = issue_token(user, TokenPurpose.RESET_PASSWORD, _hours("RESET_TOKEN_HOURS"), now=now)
    send_message(user.email, "reset_password", user.locale, user=user,
                 reset_url=external_url("accounts.reset_password", token=raw),
                 hours=_hours("RESET_TOKEN_HOURS"))


def reset_password(raw_token: str, new_password: str, *, now: datetime | None = None) -> User:
    now = now or utcnow()
    _check_password_strength(new_password)
    token = consume_token(raw_token, TokenPurpose.RESET_PASSWORD, now=now)
    user = token.user
    _set_password(user, new_password)
    revoke_tokens(user, TokenPurpose.RESET_PASSWORD, now=now)
    login_limits.clear_failures(user.email)  # a new password: no lock on the old guesses
    # Opening the link proves control of the mailbox.
    user.email_verified_at = user.email_verified_at or now
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password or ""):
        raise DomainError("wrong_password", _l("Your current password is not correct."))
    _check_password_strength(new_password)
    _set_password(user, new_password)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.auth_version += 1
    end_all_sessions(user, keep_current=True)  # every other session of this account ends


# --- e-mail change ---------------------------------------------------------------

def request_email_change(user: User, new_email: str, password: str,
                         *, now: datetime | None = None) -> None:
    """Mail a confirmation link to the new address. The address changes only
    when the link is opened. A taken address gets a note, not a link."""
    if not verify_password(user.password_hash, password or ""):
        raise DomainError("wrong_password", _l("Your current password is not correct."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError("same_email", _l("This is already your e-mail address."))
    other = get_user_by_email(new_email)
    if other is not None:
        send_message(new_email, "email_taken", other.locale, user=other)
        return
    raw = issue_token(user, TokenPurpose.CHANGE_EMAIL, _hours("VERIFY_TOKEN_HOURS"),
                      new_email=new_email, now=now)
    send_message(new_email, "change_email", user.locale, user=user,
                 confirm_url=external_url("accounts.confirm_email_change", token=raw),
                 hours=_hours("VERIFY_TOKEN_HOURS"))


def confirm_email_change(raw_token: str, *, now: datetime | None = None) -> User:
    now = now or utcnow()
    token = consume_token(raw_token, TokenPurpose.CHANGE_EMAIL, now=now)
    if get_user_by_email(token.new_email) is not None:
        raise DomainError("email_taken", _l("This e-mail address now belongs to another account."))
    user = token.user
    old_email = user.email
    user.email = token.new_email
    user.email_verified_at = now
    send_message(old_email, "email_changed", user.locale, user=user, new_email=user.email)
    return user


def update_profile(user: User, *, name: str, locale: str) -> None:
    user.name = name.strip()
    user.locale = locale


# --- staff accounts and roles --------------------------------------------------------

def invite_staff(actor: User, *, email: str, name: str, role: str,
                 now: datetime | None = None) -> User:
    """Admin invites door staff, staff or admins. An existing account gets the
    role at once and a note; a new address gets an account and a link to
    choose a password."""
    ensure(can_manage_users, actor)
    if role not in (Role.DOOR.value, Role.STAFF.value, Role.ADMIN.value):
        raise DomainError("role_invalid", _l("Please choose a valid role."))
    email = normalise_email(email)
    user = get_user_by_email(email)
    if user is not None and user.has_account:
        old_role = user.role
        user.role = role
        send_message(user.email, "role_changed", user.locale, user=user,
                     login_url=external_url("accounts.login"))
        audit.record(actor, "user.role", user, user.name, now=now, old=old_role, new=role)
        return user
    if user is None:
        user = User(email=email, name=name.strip(), role=role,
                    locale=current_app.config["BABEL_DEFAULT_LOCALE"], created_at=now or utcnow())
        db.session.add(user)
    else:  # a person without an account (a guest): the invitation gives them one
        user.role = role
    raw = issue_token(user, TokenPurpose.STAFF_INVITE, _hours("INVITE_TOKEN_HOURS"), now=now)
    send_message(user.email, "staff_invite", user.locale, user=user, inviter=actor,
                 invite_url=external_url("accounts.accept_invite", token=raw),
                 hours=_hours("INVITE_TOKEN_HOURS"))
    db.session.flush()
    audit.record(actor, "user.invite", user, user.name, now=now, role=role)
    return user


def accept_invite(raw_token: str, password: str, *, privacy_consent: bool,
                  now: datetime | None = None) -> User:
    now = now or utcnow()
    if not privacy_consent:
        raise DomainError("privacy_consent_required", _l("Please agree to the privacy notice."))
    _check_password_strength(password)
    token = consume_token(raw_token, TokenPurpose.STAFF_INVITE, now=now)
    user = token.user
    _set_password(user, password)
    user.email_verified_at = user.email_verified_at or now
    user.privacy_consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    user.privacy_consent_at = now
    return user


def change_role(actor: User, target: User, role: str) -> None:
    """Set ``target``'s role; ``member`` revokes staff rights. Admins cannot
    change their own role, so there is always at least one admin."""
    ensure(can_change_role, actor, target, message=_l("You are not allowed to change this role."))
    if role not in ROLE_VALUES:
        raise DomainError("role_invalid", _l("Please choose a valid role."))
    if target.role != role:
        audit.record(actor, "user.role", target, target.name, old=target.role, new=role)
    target.role = role


def create_admin(*, email: str, name: str, password: str,
                 now: datetime | None = None) -> User:
    """For ``flask create-admin``: a verified admin account."""
    now = now or utcnow()
    _check_password_strength(password)
    email = normalise_email(email)
    user = get_user_by_email(email)
    if user is None:
        user = User(email=email, name=name, locale=current_app.config["BABEL_DEFAULT_LOCALE"],
                    created_at=now)
        db.session.add(user)
    user.role = Role.ADMIN.value
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or now
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))
