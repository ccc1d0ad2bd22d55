"""Every role against every route. A new route fails the completeness test
until it is added to ROUTES with the status each role must get."""
from __future__ import annotations

import pytest

from datetime import timedelta

from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.orgs import (Membership, OrgInvitation, Organisation,
                                      OrganisationTag)

ANON, MEMBER, REP, DOOR, STAFF, ADMIN = (
    "anonymous", "member", "representative", "door", "staff", "admin")
ROLES = [ANON, MEMBER, REP, DOOR, STAFF, ADMIN]
# The world every request runs in (ids are fixed because each test starts empty):
LISTED, PENDING = 1, 2          # organisations; REP represents LISTED
OTHERS_MEMBERSHIP = 2           # a join request of someone else to LISTED
INVITATION = 1                  # an open invitation of LISTED


def everyone(status):
    return {role: status for role in ROLES}


def signed_in_only(ok=200):
    return {ANON: 302, MEMBER: ok, REP: ok, DOOR: ok, STAFF: ok, ADMIN: ok}


def admin_only(ok=200):
    return {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 403, ADMIN: ok}


def staff_only(ok=200):
    return {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: ok, ADMIN: ok}


def org_managers(ok=200):
    """Staff for any MSO, representatives for their own."""
    return {ANON: 302, MEMBER: 403, REP: ok, DOOR: 403, STAFF: ok, ADMIN: ok}


# (method, url, endpoint, expected status per role)
ROUTES = [
    ("GET", "/", "pages.home", everyone(200)),
    ("GET", "/impressum", "pages.imprint", everyone(200)),
    ("GET", "/datenschutz", "pages.privacy", everyone(200)),
    ("GET", "/barrierefreiheit", "pages.accessibility", everyone(200)),
    ("GET", "/healthz", "pages.healthz", everyone(200)),
    ("GET", "/signup", "accounts.signup", {ANON: 200, MEMBER: 302, REP: 302, DOOR: 302, STAFF: 302, ADMIN: 302}),
    ("GET", "/signup/check-your-mail", "accounts.signup_done", everyone(200)),
    ("GET", "/verify/unknown-token", "accounts.verify_email", everyone(302)),
    ("GET", "/login", "accounts.login", {ANON: 200, MEMBER: 302, REP: 302, DOOR: 302, STAFF: 302, ADMIN: 302}),
    ("POST", "/logout", "accounts.logout", signed_in_only(302)),
    ("GET", "/forgot-password", "accounts.forgot_password", everyone(200)),
    ("GET", "/reset/unknown-token", "accounts.reset_password", everyone(302)),
    ("GET", "/invitation/unknown-token", "accounts.accept_invite", everyone(302)),
    ("GET", "/account", "accounts.account", signed_in_only()),
    ("POST", "/account/profile", "accounts.update_profile", signed_in_only(400)),
    ("POST", "/account/password", "accounts.change_password", signed_in_only(400)),
    ("POST", "/account/email", "accounts.change_email", signed_in_only(400)),
    ("GET", "/account/email/unknown-token", "accounts.confirm_email_change", everyone(302)),
    ("POST", "/language", "accounts.set_language", everyone(400)),
    ("GET", "/admin/users", "admin.users", admin_only()),
    ("POST", "/admin/users/invite", "admin.invite", admin_only(302)),
    ("POST", "/admin/users/1/role", "admin.change_role", admin_only(302)),
    # MSO registry
    ("GET", "/orgs", "orgs.directory", everyone(200)),
    ("GET", "/orgs/list.csv", "orgs.directory_csv", everyone(200)),
    ("GET", "/orgs/list.pdf", "orgs.directory_pdf", everyone(200)),
    ("GET", f"/orgs/{LISTED}", "orgs.detail", everyone(200)),
    ("GET", f"/orgs/{PENDING}", "orgs.detail",
     {ANON: 404, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("POST", f"/orgs/{LISTED}/join", "orgs.request_membership", signed_in_only(302)),
    ("GET", "/orgs/apply", "orgs.apply", everyone(200)),
    ("GET", "/my/organisations", "orgs.mine", signed_in_only()),
    ("POST", f"/my/organisations/{OTHERS_MEMBERSHIP}/leave", "orgs.leave", signed_in_only(404)),
    ("GET", f"/orgs/{LISTED}/edit", "orgs.edit", org_managers()),
    ("GET", f"/orgs/{PENDING}/edit", "orgs.edit", staff_only()),
    ("GET", f"/orgs/{LISTED}/members", "orgs.members", org_managers()),
    ("GET", f"/orgs/{PENDING}/members", "orgs.members", staff_only()),
    ("POST", f"/orgs/{LISTED}/members/{OTHERS_MEMBERSHIP}/accept", "orgs.member_action", org_managers(302)),
    ("POST", f"/orgs/{PENDING}/members/{OTHERS_MEMBERSHIP}/accept", "orgs.member_action",
     {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 404, ADMIN: 404}),
    ("POST", f"/orgs/{LISTED}/invitations", "orgs.invite", org_managers(302)),
    ("POST", f"/orgs/{LISTED}/invitations/link", "orgs.share_link", org_managers(200)),
    ("POST", f"/orgs/{LISTED}/invitations/{INVITATION}/revoke", "orgs.revoke_invitation", org_managers(302)),
    ("GET", "/join/unknown-token", "orgs.join", everyone(404)),
    ("GET", "/staff/orgs", "orgs.staff_list", staff_only()),
    ("GET", f"/staff/orgs/{PENDING}", "orgs.review", staff_only()),
    ("POST", f"/staff/orgs/{PENDING}/decision", "orgs.decide", staff_only(302)),
    ("POST", f"/staff/orgs/{LISTED}/name", "orgs.decide_name", staff_only(302)),
    ("POST", f"/staff/orgs/{LISTED}/status", "orgs.set_status", staff_only(302)),
]

NOT_ROUTES = {"static"}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    covered = {endpoint for _, _, endpoint, _ in ROUTES}
    assert endpoints - covered == set(), "add these routes to ROUTES"
    assert covered - endpoints == set(), "ROUTES names endpoints that do not exist"


@pytest.fixture
def world(db, make_user):
    """User 1 (target of role changes) represents LISTED; user 2 asks to join it."""
    now = utcnow()
    rep = make_user(Role.MEMBER, email="rep@example.org")
    requester = make_user(Role.MEMBER, email="requester@example.org")
    listed = Organisation(name="Listed MSO", legal_form="ev", status="listed",
                          published_fields=["districts"],
                          tags=[OrganisationTag(kind="district", value="Eving")])
    pending = Organisation(name="Pending MSO", legal_form="ev", status="pending")
    db.session.add_all([listed, pending])
    db.session.add_all([
        Membership(organisation=listed, user=rep, role="representative", status="active"),
        Membership(organisation=listed, user=requester, role="member", status="requested"),
        OrgInvitation(organisation=listed, token_hash="0" * 64, email=None,
                      expires_at=now + timedelta(days=3)),
    ])
    db.session.commit()
    assert (listed.id, pending.id) == (LISTED, PENDING)
    return rep


@pytest.fixture
def as_role(client, world, make_user, login):
    def become(role: str):
        if role == REP:
            login(world)
        elif role != ANON:
            login(make_user(Role(role)))
        return client

    return become


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,endpoint,expected", ROUTES,
                         ids=[f"{m} {u}" for m, u, _, _ in ROUTES])
def test_route_answers_each_role_as_expected(as_role, role, method, url, endpoint, expected):
    client = as_role(role)
    response = client.open(url, method=method)
    assert response.status_code == expected[role], (
        f"{role} {method} {url}: {response.status_code}")
    if response.status_code == 302 and role == ANON and expected[MEMBER] in (200, 400, 403):
        assert "/login" in response.headers["Location"]
