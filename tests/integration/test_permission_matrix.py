"""Every role against every route. A new route fails the completeness test
until it is added to ROUTES with the status each role must get."""
from __future__ import annotations

from datetime import timedelta

import pytest

from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.events import Event, EventSession, Registration, Slot, Venue
from miado_events.models.orgs import (
    Membership,
    Organisation,
    OrganisationTag,
    OrgInvitation,
)

ANON, MEMBER, REP, DOOR, STAFF, ADMIN = (
    "anonymous", "member", "representative", "door", "staff", "admin")
ROLES = [ANON, MEMBER, REP, DOOR, STAFF, ADMIN]
# The world every request runs in (ids are fixed because each test starts empty):
LISTED, PENDING = 1, 2          # organisations; REP represents LISTED
OTHERS_MEMBERSHIP = 2           # a join request of someone else to LISTED
INVITATION = 1                  # an open invitation of LISTED
VENUE = 1
SEMINAR, DRAFT = 1, 2           # events: a published seminar and a draft
SEMINAR_SESSION, DRAFT_SESSION = 1, 2
SEMINAR_SLOT, DRAFT_SLOT = 1, 2
REP_REGISTRATION = 1            # REP's seat in the seminar, for LISTED
YEAR = utcnow().year + 1


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
    # Events: public pages
    ("GET", "/calendar", "events.calendar", everyone(200)),
    ("GET", f"/calendar/{YEAR}/1", "events.month", everyone(200)),
    ("GET", f"/events/{SEMINAR}", "events.detail", everyone(200)),
    ("GET", f"/events/{DRAFT}", "events.detail", {**everyone(404), STAFF: 200, ADMIN: 200}),
    # Registering: signed in (a message and back to the event, whatever the outcome)
    ("POST", f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/register", "events.register", signed_in_only(302)),
    ("POST", f"/events/{DRAFT}/slots/{DRAFT_SLOT}/register", "events.register",
     {ANON: 302, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 302, ADMIN: 302}),
    ("POST", f"/events/{SEMINAR}/slots/{DRAFT_SLOT}/register", "events.register",
     {**everyone(404), ANON: 302}),
    ("POST", f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/register-member", "events.register_member",
     signed_in_only(302)),
    ("GET", "/my/registrations", "events.my_registrations", signed_in_only()),
    # A registration: its owner (REP) and staff; 404 for everybody else
    ("GET", f"/registrations/{REP_REGISTRATION}/cancel", "events.cancel",
     {ANON: 302, MEMBER: 404, REP: 200, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("POST", f"/registrations/{REP_REGISTRATION}/cancel", "events.cancel",
     {ANON: 302, MEMBER: 404, REP: 302, DOOR: 404, STAFF: 302, ADMIN: 302}),
    # Staff: events, sessions, registrations, venues
    ("GET", "/staff/events", "staff_events.events", staff_only()),
    ("GET", "/staff/events/new", "staff_events.new_event", staff_only()),
    ("GET", f"/staff/events/{SEMINAR}", "staff_events.manage", staff_only()),
    ("POST", f"/staff/events/{DRAFT}/publish", "staff_events.publish", staff_only(302)),
    ("GET", f"/staff/events/{SEMINAR}/cancel", "staff_events.cancel_event", staff_only()),
    ("POST", f"/staff/events/{SEMINAR}/sessions", "staff_events.add_session", staff_only(302)),
    ("POST", f"/staff/events/{DRAFT}/sessions/recurring", "staff_events.add_recurring", staff_only(302)),
    ("GET", f"/staff/sessions/{SEMINAR_SESSION}", "staff_events.edit_session", staff_only()),
    ("GET", f"/staff/sessions/{SEMINAR_SESSION}/cancel", "staff_events.cancel_session", staff_only()),
    ("GET", f"/staff/events/{SEMINAR}/registrations", "staff_events.registrations", staff_only()),
    ("POST", f"/staff/events/{SEMINAR}/registrations/add", "staff_events.add_registration", staff_only(302)),
    ("POST", f"/staff/registrations/{REP_REGISTRATION}/promote", "staff_events.promote", staff_only(302)),
    ("GET", "/staff/venues", "staff_events.venues", staff_only()),
    ("GET", "/staff/venues/new", "staff_events.edit_venue", staff_only()),
    ("GET", f"/staff/venues/{VENUE}", "staff_events.edit_venue", staff_only()),
    # Calendar downloads: public for published events, staff only for drafts
    ("GET", "/events/1/calendar.ics", "events.event_ics", everyone(200)),
    ("GET", "/events/2/calendar.ics", "events.event_ics",
     {ANON: 404, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("GET", "/sessions/1/calendar.ics", "events.session_ics", everyone(200)),
    ("GET", "/sessions/2/calendar.ics", "events.session_ics",
     {ANON: 404, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 200, ADMIN: 200}),
    # Calendar feeds
    ("GET", "/feeds/public.ics", "calendar.public_feed", everyone(200)),
    ("GET", "/feeds/seminar.ics", "calendar.kind_feed", everyone(200)),
    ("GET", "/feeds/me/unknown-token.ics", "calendar.personal_feed", everyone(404)),
    ("GET", "/my/calendar", "calendar.my_calendar", signed_in_only()),
    ("POST", "/my/calendar/renew", "calendar.renew", signed_in_only(302)),
    ("GET", "/staff/events/1/broadcast", "staff_events.broadcast", staff_only()),
    # Mail outbox (staff)
    ("GET", "/staff/outbox", "mail.outbox_list", staff_only()),
    ("POST", "/staff/outbox/424242/retry", "mail.retry",
     {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 404, ADMIN: 404}),
]

NOT_ROUTES = {"static"}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    covered = {endpoint for _, _, endpoint, _ in ROUTES}
    assert endpoints - covered == set(), "add these routes to ROUTES"
    assert covered - endpoints == set(), "ROUTES names endpoints that do not exist"


@pytest.fixture
def world(db, make_user):
    """User 1 (target of role changes) represents LISTED; user 2 asks to join it.
    A published seminar (one session, one slot) in which REP has a seat for
    LISTED, and a draft event with one session, both at one venue."""
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
    db.session.flush()
    assert (listed.id, pending.id) == (LISTED, PENDING)

    venue = Venue(name="Dietrich-Keuning-Haus", address="Leopoldstraße 50", district="Innenstadt-Nord")
    starts = now.replace(year=YEAR, month=1, day=15, hour=17, minute=0, second=0, microsecond=0)
    events = []
    for title, status in (("Seminar Vereinsrecht", "published"), ("Entwurf", "draft")):
        event = Event(kind="seminar", title=title, status=status, capacity=10, languages=["de"])
        session = EventSession(event=event, starts_at=starts, ends_at=starts + timedelta(hours=2), venue=venue)
        db.session.add_all([event, session, Slot(event=event, session=session, capacity=10)])
        db.session.flush()  # ids in this order
        events.append((event, session))
    [(seminar, seminar_session), (draft, draft_session)] = events
    seminar_slot = seminar.slots[0]
    seminar_slot.confirmed_count = 1
    registration = Registration(slot=seminar_slot, event_id=seminar.id, user=rep, organisation=listed,
                                status="confirmed", confirmed_at=now)
    db.session.add(registration)
    db.session.commit()
    assert venue.id == VENUE
    assert (seminar.id, draft.id) == (SEMINAR, DRAFT)
    assert (seminar_session.id, draft_session.id) == (SEMINAR_SESSION, DRAFT_SESSION)
    assert (seminar_slot.id, draft.slots[0].id) == (SEMINAR_SLOT, DRAFT_SLOT)
    assert registration.id == REP_REGISTRATION
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


@pytest.mark.parametrize("url", [
    f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/register",
    f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/register-member",
    f"/registrations/{REP_REGISTRATION}/cancel",
])
def test_anonymous_registration_posts_go_to_the_login_page(as_role, url):
    response = as_role(ANON).post(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_anonymous_visitors_are_sent_to_log_in_for_my_registrations_and_staff_pages(as_role):
    client = as_role(ANON)
    for url in ["/my/registrations", "/staff/events", f"/staff/events/{SEMINAR}/registrations"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
