"""Account rules, one behaviour per test, called on the services directly."""
from __future__ import annotations

from datetime import timedelta

import pytest

from miado_events.accounts import services
from miado_events.accounts.passwords import verify_password
from miado_events.database import utcnow
from miado_events.errors import DomainError
from miado_events.models.accounts import Role, User

from ..conftest import PASSWORD, link_from_mail


def _token_from(msg, path: str) -> str:
    return link_from_mail(msg, path).rsplit("/", 1)[1]


def _sign_up(db, email="neu@example.org", **kw):
    args = dict(name="Neu Person", email=email, password="long-enough-pw", locale="en",
                privacy_consent=True)
    args.update(kw)
    user = services.sign_up(**args)
    db.session.commit()
    return user


def assert_code(excinfo, code):
    assert excinfo.value.code == code


# --- sign-up -----------------------------------------------------------------

def test_sign_up_creates_unverified_member_with_consent(db, outbox):
    user = _sign_up(db, email=" Neu@Example.org ")
    assert user.email == "neu@example.org"
    assert user.role == Role.MEMBER.value
    assert not user.is_verified
    assert user.privacy_consent_version and user.privacy_consent_at
    assert user.password_hash.startswith("$argon2id$")
    assert len(outbox) == 1 and outbox[0]["To"] == "neu@example.org"


def test_sign_up_mail_is_in_the_chosen_language(db, outbox, app):
    _sign_up(db, locale="en")
    assert outbox[0]["Content-Language"] == "en"
    assert "confirm your e-mail address" in outbox[0].get_body(("plain",)).get_content()


def test_sign_up_requires_privacy_consent(db, outbox):
    with pytest.raises(DomainError) as exc:
        _sign_up(db, privacy_consent=False)
    assert_code(exc, "privacy_consent_required")
    db.session.rollback()
    assert db.session.query(User).count() == 0


def test_sign_up_rejects_short_password(db):
    with pytest.raises(DomainError) as exc:
        _sign_up(db, password="short")
    assert_code(exc, "password_too_short")


def test_sign_up_with_known_address_creates_nothing_and_tells_the_owner(db, outbox, make_user):
    owner = make_user(email="known@example.org")
    assert _sign_up(db, email="KNOWN@example.org") is None
    assert db.session.query(User).count() == 1
    assert [m["To"] for m in outbox] == [owner.email]
    assert "already have an account" in outbox[0]["Subject"] or outbox[0]["Subject"]


def test_mail_is_not_sent_when_the_transaction_rolls_back(db, outbox):
    services.sign_up(name="X", email="rb@example.org", password="long-enough-pw",
                     locale="de", privacy_consent=True)
    db.session.rollback()
    assert outbox == []


# --- verification ----------------------------------------------------------------

def test_verification_link_verifies_once(db, outbox):
    user = _sign_up(db)
    token = _token_from(outbox[0], "/verify/")
    services.verify_email(token)
    db.session.commit()
    assert user.is_verified
    with pytest.raises(DomainError) as exc:
        services.verify_email(token)
    assert_code(exc, "token_used")


def test_expired_verification_link_is_refused(db, outbox):
    user = _sign_up(db)
    token = _token_from(outbox[0], "/verify/")
    later = utcnow() + timedelta(hours=49)
    with pytest.raises(DomainError) as exc:
        services.verify_email(token, now=later)
    assert_code(exc, "token_expired")
    assert not user.is_verified


def test_unknown_token_is_invalid(db):
    with pytest.raises(DomainError) as exc:
        services.verify_email("not-a-token")
    assert_code(exc, "token_invalid")


def test_token_of_other_purpose_is_invalid(db, outbox, make_user):
    user = make_user()
    services.request_password_reset(user.email)
    db.session.commit()
    reset_token = _token_from(outbox[0], "/reset/")
    with pytest.raises(DomainError) as exc:
        services.verify_email(reset_token)
    assert_code(exc, "token_invalid")


def test_only_the_hash_of_a_token_is_stored(db, outbox):
    user = _sign_up(db)
    token = _token_from(outbox[0], "/verify/")
    assert all(t.token_hash != token for t in user.tokens)


# --- log-in ------------------------------------------------------------------------

def test_authenticate_with_right_password(db, make_user):
    user = make_user()
    assert services.authenticate(user.email.upper(), PASSWORD) is user


@pytest.mark.parametrize("email,password", [
    ("member1@example.org", "wrong-password"),
    ("nobody@example.org", PASSWORD),
])
def test_wrong_password_and_unknown_address_give_the_same_error(db, make_user, email, password):
    make_user()
    with pytest.raises(DomainError) as exc:
        services.authenticate(email, password)
    assert_code(exc, "invalid_credentials")


def test_unverified_account_cannot_log_in_and_gets_a_new_link(db, outbox, make_user):
    user = make_user(verified=False)
    with pytest.raises(DomainError) as exc:
        services.authenticate(user.email, PASSWORD)
    assert_code(exc, "email_not_verified")
    db.session.commit()
    assert "/verify/" in outbox[-1].get_body(("plain",)).get_content()


def test_disabled_account_cannot_log_in(db, make_user):
    user = make_user()
    user.is_enabled = False
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        services.authenticate(user.email, PASSWORD)
    assert_code(exc, "invalid_credentials")


def test_other_sessions_end_when_the_password_changes(db, make_user):
    user = make_user()
    elsewhere = services.start_session(user)
    here = services.start_session(user)  # the session the change is made in
    db.session.commit()
    services.change_password(user, PASSWORD, "another-long-password")
    db.session.commit()
    assert services.load_user_by_session_id(elsewhere) is None
    assert services.load_user_by_session_id(here) is user
    assert user.get_id() == here


def test_session_ids_of_before_login_sessions_load_nobody(db, make_user):
    """The old cookie value ``<id>.<auth_version>`` names no login session."""
    user = make_user()
    assert services.load_user_by_session_id(f"{user.id}.{user.auth_version}") is None


def test_ended_session_loads_nobody(db, make_user):
    user = make_user()
    key = services.start_session(user)
    db.session.commit()
    assert services.load_user_by_session_id(key) is user
    services.end_session(user)
    db.session.commit()
    assert services.load_user_by_session_id(key) is None


def test_log_out_everywhere_ends_every_session_of_that_person_only(db, make_user):
    user, other = make_user(), make_user()
    keys = [services.start_session(user) for _ in range(3)]
    theirs = services.start_session(other)
    db.session.commit()
    assert services.count_sessions(user) == 3
    assert services.end_all_sessions(user) == 3
    db.session.commit()
    assert [services.load_user_by_session_id(k) for k in keys] == [None] * 3
    assert services.load_user_by_session_id(theirs) is other


def test_session_older_than_the_remember_cookie_loads_nobody(db, make_user):
    """A login session lasts a year (as the remember-me cookie), then ends."""
    from datetime import timedelta

    from miado_events.database import utcnow

    user = make_user()
    old = services.start_session(user, now=utcnow() - timedelta(days=366))
    recent = services.start_session(user, now=utcnow() - timedelta(days=364))
    db.session.commit()
    assert services.load_user_by_session_id(old) is None
    assert services.load_user_by_session_id(recent) is user


@pytest.mark.parametrize("bad", ["", "abc", "1", "x.y", None])
def test_malformed_session_id_loads_nobody(db, bad):
    assert services.load_user_by_session_id(bad) is None


# --- password reset -------------------------------------------------------------------

def test_reset_for_unknown_address_sends_nothing(db, outbox):
    services.request_password_reset("nobody@example.org")
    db.session.commit()
    assert outbox == []


def test_reset_sets_new_password_once(db, outbox, make_user):
    user = make_user()
    services.request_password_reset(user.email)
    db.session.commit()
    token = _token_from(outbox[0], "/reset/")
    services.reset_password(token, "brand-new-password")
    db.session.commit()
    assert verify_password(user.password_hash, "brand-new-password")
    with pytest.raises(DomainError) as exc:
        services.reset_password(token, "yet-another-password")
    assert_code(exc, "token_used")


def test_reset_link_expires(db, outbox, make_user):
    user = make_user()
    services.request_password_reset(user.email)
    db.session.commit()
    token = _token_from(outbox[0], "/reset/")
    with pytest.raises(DomainError) as exc:
        services.reset_password(token, "brand-new-password", now=utcnow() + timedelta(hours=3))
    assert_code(exc, "token_expired")


def test_using_one_reset_link_voids_the_others(db, outbox, make_user):
    user = make_user()
    for _ in range(2):
        services.request_password_reset(user.email)
    db.session.commit()
    first, second = (_token_from(m, "/reset/") for m in outbox)
    services.reset_password(second, "brand-new-password")
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        services.reset_password(first, "other-new-password")
    assert_code(exc, "token_used")


def test_change_password_needs_current_password(db, make_user):
    user = make_user()
    with pytest.raises(DomainError) as exc:
        services.change_password(user, "wrong", "another-long-password")
    assert_code(exc, "wrong_password")


# --- e-mail change -------------------------------------------------------------------------

def test_email_change_applies_only_after_confirmation(db, outbox, make_user):
    user = make_user(email="old@example.org")
    services.request_email_change(user, "new@example.org", PASSWORD)
    db.session.commit()
    assert user.email == "old@example.org"
    assert outbox[0]["To"] == "new@example.org"
    services.confirm_email_change(_token_from(outbox[0], "/account/email/"))
    db.session.commit()
    assert user.email == "new@example.org"
    assert outbox[-1]["To"] == "old@example.org"  # the old address is told


def test_email_change_to_taken_address_reveals_nothing_to_the_requester(db, outbox, make_user):
    user = make_user(email="me@example.org")
    make_user(email="taken@example.org")
    services.request_email_change(user, "taken@example.org", PASSWORD)  # no error
    db.session.commit()
    assert user.email == "me@example.org"
    assert "/account/email/" not in outbox[0].get_body(("plain",)).get_content()


def test_email_change_needs_password(db, make_user):
    user = make_user()
    with pytest.raises(DomainError) as exc:
        services.request_email_change(user, "new@example.org", "wrong")
    assert_code(exc, "wrong_password")


# --- roles -----------------------------------------------------------------------------------------

def test_admin_invites_staff_who_sets_a_password(db, outbox, make_user):
    admin = make_user(Role.ADMIN)
    staff = services.invite_staff(admin, email="new.staff@example.org", name="New Staff",
                                  role=Role.STAFF.value)
    db.session.commit()
    assert staff.role == "staff" and staff.password_hash is None
    token = _token_from(outbox[0], "/invitation/")
    services.accept_invite(token, "staff-password-1", privacy_consent=True)
    db.session.commit()
    assert staff.is_verified
    assert services.authenticate("new.staff@example.org", "staff-password-1") is staff


def test_invite_of_existing_account_changes_its_role(db, outbox, make_user):
    admin = make_user(Role.ADMIN)
    member = make_user()
    services.invite_staff(admin, email=member.email, name="ignored", role=Role.DOOR.value)
    db.session.commit()
    assert member.role == "door"
    assert db.session.query(User).count() == 2


@pytest.mark.parametrize("role", [Role.MEMBER, Role.DOOR, Role.STAFF])
def test_only_admins_invite_staff(db, make_user, role):
    actor = make_user(role)
    with pytest.raises(DomainError) as exc:
        services.invite_staff(actor, email="x@example.org", name="X", role="staff")
    assert_code(exc, "forbidden")


def test_admin_cannot_change_own_role(db, make_user):
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError) as exc:
        services.change_role(admin, admin, "member")
    assert_code(exc, "forbidden")
    assert admin.role == "admin"


def test_admin_revokes_staff_role(db, make_user):
    admin, staff = make_user(Role.ADMIN), make_user(Role.STAFF)
    services.change_role(admin, staff, "member")
    assert staff.role == "member"


def test_unknown_role_is_refused(db, make_user):
    admin, staff = make_user(Role.ADMIN), make_user(Role.STAFF)
    with pytest.raises(DomainError) as exc:
        services.change_role(admin, staff, "superuser")
    assert_code(exc, "role_invalid")


def test_database_refuses_unknown_role(db, make_user):
    from sqlalchemy.exc import IntegrityError

    user = make_user()
    user.role = "superuser"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_second_account_with_same_address(db, make_user):
    from sqlalchemy.exc import IntegrityError

    make_user(email="dup@example.org")
    with pytest.raises(IntegrityError):
        make_user(email="dup@example.org")
    db.session.rollback()


def test_create_admin_command_makes_a_verified_admin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "Boss@Example.org", "--name", "Boss",
                                 "--password", "admin-password-1"])
    assert result.exit_code == 0, result.output
    user = services.get_user_by_email("boss@example.org")
    assert user.role == "admin" and user.is_verified


def test_create_admin_command_refuses_short_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "b@example.org", "--name", "B", "--password", "short"])
    assert result.exit_code != 0
    assert services.get_user_by_email("b@example.org") is None
