"""Log-in limits that fit a venue's Wi-Fi: failed log-ins count per account
and per network address; successful ones never count; the 429 page says how
long to wait (and Retry-After says it to programs). Time is moved by passing
``now=`` to the service or by writing the failures with their time."""
from __future__ import annotations

from datetime import timedelta

import pytest

from miado_events.accounts import login_limits
from miado_events.database import utcnow
from miado_events.models.accounts import LoginFailure

from ..conftest import PASSWORD

WIFI = "192.0.2.10"


def post_login(client, email, password, address=WIFI):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def fresh_client(app):
    """A new client (no session) per log-in: many people, one Wi-Fi."""
    def make():
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client
    return make


def test_a_workshop_on_one_wifi_logs_in_without_limit(db, make_user, fresh_client):
    """Sixty people log in from one address within a minute: all get in
    (the old limit, 10 log-ins a minute per address, stopped the eleventh)."""
    people = [make_user() for _ in range(60)]
    statuses = [post_login(fresh_client(), person.email, PASSWORD).status_code for person in people]
    assert statuses == [302] * 60


def test_ten_failures_lock_the_account_even_with_the_right_password(db, make_user, client):
    user = make_user()
    statuses = [post_login(client, user.email, "wrong-password").status_code for _ in range(10)]
    assert statuses == [200] * 10
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "There were too many failed log-ins." in page
    assert "Please try again in 15 minutes." in page
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60


def test_the_lock_is_per_account_not_per_address(db, make_user, client, fresh_client):
    locked, colleague = make_user(), make_user()
    for _ in range(10):
        post_login(client, locked.email, "wrong-password")
    assert post_login(fresh_client(), colleague.email, PASSWORD).status_code == 302
    # ... and the locked account is locked from any address.
    assert post_login(fresh_client(), locked.email, PASSWORD, address="198.51.100.7").status_code == 429


def test_a_successful_log_in_starts_the_count_again(db, make_user, fresh_client):
    user = make_user()
    for _ in range(9):
        assert post_login(fresh_client(), user.email, "wrong-password").status_code == 200
    assert post_login(fresh_client(), user.email, PASSWORD).status_code == 302
    for _ in range(9):
        assert post_login(fresh_client(), user.email, "wrong-password").status_code == 200
    assert post_login(fresh_client(), user.email, PASSWORD).status_code == 302


def test_an_address_without_an_account_locks_the_same_way(db, client):
    """The lock does not tell who has an account."""
    statuses = [post_login(client, "nobody@example.org", "guess").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_the_address_ceiling_counts_only_failures(app, db, make_user, fresh_client):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 5
    guessed = [f"target{i}@example.org" for i in range(5)]
    assert [post_login(fresh_client(), email, "guess").status_code for email in guessed] == [200] * 5
    someone = make_user()
    response = post_login(fresh_client(), someone.email, PASSWORD)
    assert response.status_code == 429
    assert "Please try again in 60 minutes." in response.get_data(as_text=True)
    # Another address is not affected.
    assert post_login(fresh_client(), someone.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_failures_stay_in_the_database_shared_by_every_app_process(db, make_user, client):
    user = make_user()
    post_login(client, user.email, "wrong-password")
    failure = db.session.query(LoginFailure).one()
    # Only keyed hashes are kept, never the address typed or the IP.
    assert user.email not in failure.account_key and WIFI not in failure.address_key
    assert failure.account_key == login_limits.account_key(user.email.upper())


def test_the_lock_ends_when_the_oldest_failure_is_old_enough(app, db):
    start = utcnow()
    for minute in range(10):
        login_limits.record_failure("person@example.org", WIFI, now=start + timedelta(minutes=minute))
    db.session.commit()
    assert login_limits.locked_for("person@example.org", WIFI, now=start + timedelta(minutes=10)) \
        == timedelta(minutes=5)
    assert login_limits.locked_for("person@example.org", WIFI, now=start + timedelta(minutes=15)) is None


def test_old_failures_are_forgotten(app, db):
    start = utcnow() - timedelta(hours=3)
    login_limits.record_failure("a@example.org", WIFI, now=start)
    login_limits.record_failure("b@example.org", WIFI, now=start + timedelta(hours=2))
    db.session.commit()
    assert db.session.query(LoginFailure).count() == 1


def test_a_new_password_lifts_the_lock(app, db, make_user, client, fresh_client):
    from miado_events.accounts import services
    from miado_events.accounts.tokens import issue_token
    from miado_events.models.accounts import TokenPurpose

    user = make_user()
    for _ in range(10):
        post_login(client, user.email, "wrong-password")
    raw = issue_token(user, TokenPurpose.RESET_PASSWORD, 2)
    services.reset_password(raw, "a-brand-new-password")
    db.session.commit()
    assert post_login(fresh_client(), user.email, "a-brand-new-password").status_code == 302


def test_other_rate_limits_say_how_long_to_wait(app, client):
    app.config["RATELIMIT_RESET"] = "1 per hour"
    client.post("/forgot-password", data={"email": "r@example.org"})
    response = client.post("/forgot-password", data={"email": "r@example.org"})
    assert response.status_code == 429
    assert "Please try again in" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
