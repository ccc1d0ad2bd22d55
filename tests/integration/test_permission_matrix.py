"""Every role against every route. A new route fails the completeness test
until it is added to ROUTES with the status each role must get."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from miado_events.checkin import tickets
from miado_events.database import utcnow
from miado_events.models.accounts import Role, User
from miado_events.models.checkin import Attendance, Certificate, DoorAssignment
from miado_events.models.events import Event, EventSession, Registration, Slot, Venue
from miado_events.models.materials import Material, SessionMinutes
from miado_events.models.questions import RegistrationQuestion
from miado_events.models.orgs import (
    Membership,
    Organisation,
    OrganisationTag,
    OrgInvitation,
)
from miado_events.models.voting import Topic, TopicComment, TopicRound

from ..conftest import PASSWORD

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
# Check-in: MEMBER (user 3) and DOOR (user 4) are fixed users of the world.
MEMBER_USER, DOOR_USER = 3, 4
TODAY, TODAY_SESSION = 3, 3     # a seminar running now; DOOR works its door
MEMBER_REGISTRATION = 2         # MEMBER's confirmed seat (with its ticket) in it
SERIES = 4                      # a finished training series (sessions 4 and 5)
REP_SERIES_REGISTRATION = 3     # REP attended both sessions and holds CERTIFICATE
CERTIFICATE = 1
CERTIFICATE_CODE = "7K3M9PQR2XWZ"
# Minutes and materials of SERIES_SESSION (the series' first session, which REP attended):
# a public, a participants-only and a staff-only material, all published.
SERIES_SESSION = 4
PUBLIC_MATERIAL, PARTICIPANTS_MATERIAL, STAFF_MATERIAL = 1, 2, 3
QUESTION = 1                    # a registration question of SERIES
# Topic voting: round VOTING_ROUND is open for voting (LISTED may vote, REP
# speaks for it) with TOPIC and COMMENT; round RESULTS_ROUND has published
# results with RESULTS_TOPIC.
VOTING_ROUND, RESULTS_ROUND = 1, 2
TOPIC, RESULTS_TOPIC, COMMENT = 1, 2, 1
MISSING = 424242                # no object has this id
# Placeholders replaced when the test runs (the signature needs the app's key):
MEMBER_TICKET = "<member-ticket>"        # MEMBER's signed ticket payload
TAMPERED_TICKET = "<tampered-ticket>"    # the same with a changed signature


def everyone(status):
    return {role: status for role in ROLES}


def signed_in_only(ok=200):
    return {ANON: 302, MEMBER: ok, REP: ok, DOOR: ok, STAFF: ok, ADMIN: ok}


def admin_only(ok=200):
    return {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 403, ADMIN: ok}


def staff_only(ok=200):
    return {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: ok, ADMIN: ok}


def door_only(ok=200):
    """Door staff (for the event assigned to them), staff and admins."""
    return {ANON: 302, MEMBER: 403, REP: 403, DOOR: ok, STAFF: ok, ADMIN: ok}


def owner_or_staff(owner, ok=200):
    """A registration's person and staff; 404 for everybody else (ids reveal nothing)."""
    return {ANON: 302, MEMBER: 404, REP: 404, DOOR: 404, STAFF: ok, ADMIN: ok, owner: ok}


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
    ("GET", "/account/sessions", "accounts.logout_everywhere", signed_in_only()),
    ("POST", "/account/sessions", "accounts.logout_everywhere", signed_in_only(400)),
    # One's own data (DSGVO): download it, delete the account (an empty form
    # is answered with its errors), agree to a new privacy notice (everyone
    # here agreed to the current one, so it sends them to the start page)
    ("GET", "/account/data.json", "privacy.export", signed_in_only()),
    ("GET", "/account/delete", "privacy.delete_account", signed_in_only()),
    ("POST", "/account/delete", "privacy.delete_account", signed_in_only(400)),
    ("GET", "/account/privacy-notice", "privacy.consent", signed_in_only(302)),
    ("POST", "/account/privacy-notice", "privacy.consent", signed_in_only(302)),
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
    # What the MSO has booked: its representatives and staff
    ("GET", f"/my/organisations/{LISTED}/bookings", "rep_events.bookings_page", org_managers()),
    ("GET", f"/my/organisations/{MISSING}/bookings", "rep_events.bookings_page",
     {ANON: 302, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 404, ADMIN: 404}),
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
    # A representative registers a person for their MSO (an empty form is shown again)
    ("GET", f"/events/{SEMINAR}/register-person", "rep_events.register_person",
     {ANON: 302, MEMBER: 403, REP: 200, DOOR: 403, STAFF: 403, ADMIN: 403}),
    ("POST", f"/events/{SEMINAR}/register-person", "rep_events.register_person",
     {ANON: 302, MEMBER: 403, REP: 200, DOOR: 403, STAFF: 403, ADMIN: 403}),
    ("GET", f"/events/{DRAFT}/register-person", "rep_events.register_person",
     {ANON: 302, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 403, ADMIN: 403}),
    # Registering without an account: the form for visitors (signed in: back to
    # the event page); an empty form is 400; a draft is 404 except for staff
    ("GET", f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/guest", "guests.register", {**everyone(302), ANON: 200}),
    ("POST", f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/guest", "guests.register", {**everyone(302), ANON: 400}),
    ("GET", f"/events/{DRAFT}/slots/{DRAFT_SLOT}/guest", "guests.register",
     {**everyone(404), STAFF: 302, ADMIN: 302}),
    # A guest's personal management link: its secret is the key (unknown: 404 for all)
    ("GET", "/manage/unknown-token-unknown-token", "manage.registration", everyone(404)),
    ("GET", "/manage/unknown-token-unknown-token/ticket.png", "manage.ticket_png", everyone(404)),
    ("GET", "/manage/unknown-token-unknown-token/ticket.pdf", "manage.ticket_pdf_download", everyone(404)),
    ("GET", "/manage/unknown-token-unknown-token/data.json", "manage.export", everyone(404)),
    ("GET", "/manage/unknown-token-unknown-token/cancel", "manage.cancel", everyone(404)),
    ("POST", "/manage/unknown-token-unknown-token/cancel", "manage.cancel", everyone(404)),
    ("GET", "/manage/unknown-token-unknown-token/delete", "manage.delete_data", everyone(404)),
    ("POST", "/manage/unknown-token-unknown-token/delete", "manage.delete_data", everyone(404)),
    # Staff send a guest a new personal link (REP's registration has an account: refused, back with a message)
    ("POST", f"/staff/registrations/{REP_REGISTRATION}/new-link", "guests.new_link", staff_only(302)),
    ("POST", f"/staff/registrations/{MISSING}/new-link", "guests.new_link", staff_only(404)),
    # The questions page before the seat (an event without questions: back to the event page)
    ("GET", f"/events/{SEMINAR}/slots/{SEMINAR_SLOT}/register", "events.register", signed_in_only(302)),
    ("GET", f"/events/{DRAFT}/slots/{DRAFT_SLOT}/register", "events.register",
     {ANON: 302, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 302, ADMIN: 302}),
    ("GET", "/my/registrations", "events.my_registrations", signed_in_only()),
    # A registration: its owner (REP) and staff; 404 for everybody else
    ("GET", f"/registrations/{REP_REGISTRATION}/answers", "events.answers",
     {ANON: 302, MEMBER: 404, REP: 302, DOOR: 404, STAFF: 302, ADMIN: 302}),  # no questions: back
    ("POST", f"/registrations/{REP_REGISTRATION}/answers", "events.answers",
     {ANON: 302, MEMBER: 404, REP: 302, DOOR: 404, STAFF: 302, ADMIN: 302}),
    ("GET", f"/registrations/{REP_REGISTRATION}/cancel", "events.cancel",
     {ANON: 302, MEMBER: 404, REP: 200, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("POST", f"/registrations/{REP_REGISTRATION}/cancel", "events.cancel",
     {ANON: 302, MEMBER: 404, REP: 302, DOOR: 404, STAFF: 302, ADMIN: 302}),
    # A seat offered from the waiting list: the mailed link (its secret is the
    # key: an unknown one is 404 for all), or the registration's own page (no
    # open offer here: the page says so; a POST without an answer is 400)
    ("GET", "/offers/unknown-token", "event_offers.respond", everyone(404)),
    ("POST", "/offers/unknown-token", "event_offers.respond", everyone(404)),
    ("GET", f"/registrations/{REP_REGISTRATION}/offer", "event_offers.mine",
     {ANON: 302, MEMBER: 404, REP: 200, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("POST", f"/registrations/{REP_REGISTRATION}/offer", "event_offers.mine",
     {ANON: 302, MEMBER: 404, REP: 400, DOOR: 404, STAFF: 400, ADMIN: 400}),
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
    # Registering someone by hand: the form (an empty one is shown again with a message)
    ("GET", f"/staff/events/{SEMINAR}/registrations/add", "staff_events.add_registration", staff_only()),
    ("POST", f"/staff/events/{SEMINAR}/registrations/add", "staff_events.add_registration", staff_only(200)),
    ("POST", f"/staff/registrations/{REP_REGISTRATION}/promote", "staff_events.promote", staff_only(302)),
    # Registration questions: staff
    ("GET", f"/staff/events/{SERIES}/questions", "staff_events.questions", staff_only()),
    ("GET", f"/staff/events/{MISSING}/questions", "staff_events.questions", staff_only(404)),
    ("GET", f"/staff/events/{SERIES}/questions/new", "staff_events.new_question", staff_only()),
    ("POST", f"/staff/events/{SERIES}/questions/new", "staff_events.new_question", staff_only(200)),
    ("POST", f"/staff/events/{SERIES}/questions/template", "staff_events.question_template", staff_only(302)),
    ("GET", f"/staff/questions/{QUESTION}", "staff_events.edit_question", staff_only()),
    ("GET", f"/staff/questions/{MISSING}", "staff_events.edit_question", staff_only(404)),
    ("POST", f"/staff/questions/{QUESTION}/move", "staff_events.move_question", staff_only(302)),
    ("GET", f"/staff/questions/{QUESTION}/delete", "staff_events.delete_question", staff_only()),
    ("POST", f"/staff/questions/{QUESTION}/delete", "staff_events.delete_question", staff_only(302)),
    ("POST", f"/staff/questions/{MISSING}/delete", "staff_events.delete_question", staff_only(404)),
    ("GET", "/staff/venues", "staff_events.venues", staff_only()),
    ("GET", "/staff/venues/new", "staff_events.edit_venue", staff_only()),
    ("GET", f"/staff/venues/{VENUE}", "staff_events.edit_venue", staff_only()),
    # Calendar downloads: public for published events, staff only for drafts
    ("GET", "/events/1/calendar.ics", "calendar.event_ics", everyone(200)),
    ("GET", "/events/2/calendar.ics", "calendar.event_ics",
     {ANON: 404, MEMBER: 404, REP: 404, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("GET", "/sessions/1/calendar.ics", "calendar.session_ics", everyone(200)),
    ("GET", "/sessions/2/calendar.ics", "calendar.session_ics",
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
    ("GET", "/staff/calendar-replies", "calendar.replies_for_office", staff_only()),
    ("POST", "/staff/calendar-replies/424242/handled", "calendar.reply_handled",
     {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 404, ADMIN: 404}),
    ("POST", "/staff/outbox/424242/retry", "mail.retry",
     {ANON: 302, MEMBER: 403, REP: 403, DOOR: 403, STAFF: 404, ADMIN: 404}),
    # Tickets: the registration's person and staff; 404 for everybody else
    ("GET", f"/my/registrations/{MEMBER_REGISTRATION}/ticket", "checkin.ticket", owner_or_staff(MEMBER)),
    ("GET", f"/my/registrations/{REP_REGISTRATION}/ticket", "checkin.ticket", owner_or_staff(REP)),
    ("GET", f"/my/registrations/{MISSING}/ticket", "checkin.ticket", signed_in_only(404)),
    ("GET", f"/my/registrations/{MEMBER_REGISTRATION}/ticket.png", "checkin.ticket_png",
     owner_or_staff(MEMBER)),
    ("GET", f"/my/registrations/{REP_REGISTRATION}/ticket.png", "checkin.ticket_png", owner_or_staff(REP)),
    ("GET", f"/my/registrations/{MEMBER_REGISTRATION}/ticket.pdf", "checkin.ticket_pdf_download",
     owner_or_staff(MEMBER)),
    ("GET", f"/my/registrations/{REP_REGISTRATION}/ticket.pdf", "checkin.ticket_pdf_download",
     owner_or_staff(REP)),
    # The ticket link: its person goes to the ticket page, everyone else sees
    # a page (with the check-in button for the event's door staff); a link
    # that is no ticket of this app is 404 for all
    ("GET", f"/t/{MEMBER_TICKET}", "checkin.ticket_link", {**everyone(200), MEMBER: 302}),
    ("GET", f"/t/{TAMPERED_TICKET}", "checkin.ticket_link", everyone(404)),
    ("GET", "/t/not-a-ticket", "checkin.ticket_link", everyone(404)),
    # The door: door staff for the events assigned to them (TODAY), staff for all
    ("GET", "/door/", "checkin.door", door_only()),
    ("GET", f"/door/sessions/{TODAY_SESSION}", "checkin.scanner", door_only()),
    ("GET", f"/door/sessions/{SEMINAR_SESSION}", "checkin.scanner", staff_only()),
    ("GET", f"/door/sessions/{MISSING}", "checkin.scanner", door_only(404)),
    # (empty posts: "enter a code" answer, bad undo form, walk-in form errors)
    ("POST", f"/door/sessions/{TODAY_SESSION}/checkin", "checkin.manual_checkin", door_only()),
    ("POST", f"/door/sessions/{SEMINAR_SESSION}/checkin", "checkin.manual_checkin", staff_only()),
    ("POST", f"/door/sessions/{TODAY_SESSION}/undo", "checkin.undo", door_only(400)),
    ("POST", f"/door/sessions/{SEMINAR_SESSION}/undo", "checkin.undo", staff_only(400)),
    ("POST", f"/door/sessions/{TODAY_SESSION}/walk-in", "checkin.walk_in", door_only(422)),
    ("POST", f"/door/sessions/{SEMINAR_SESSION}/walk-in", "checkin.walk_in", staff_only(422)),
    ("GET", f"/door/api/sessions/{TODAY_SESSION}/roster", "checkin.api_roster", door_only()),
    ("GET", f"/door/api/sessions/{SEMINAR_SESSION}/roster", "checkin.api_roster", staff_only()),
    ("GET", f"/door/api/sessions/{MISSING}/roster", "checkin.api_roster", door_only(404)),
    ("POST", f"/door/api/sessions/{TODAY_SESSION}/sync", "checkin.api_sync", door_only(400)),
    ("POST", f"/door/api/sessions/{SEMINAR_SESSION}/sync", "checkin.api_sync", staff_only(400)),
    ("GET", f"/door/api/sessions/{TODAY_SESSION}/counts", "checkin.api_counts", door_only()),
    ("GET", f"/door/api/sessions/{SEMINAR_SESSION}/counts", "checkin.api_counts", staff_only()),
    ("GET", "/door/sw.js", "checkin.service_worker", everyone(200)),
    ("GET", "/door/manifest.webmanifest", "checkin.manifest", everyone(200)),
    ("GET", f"/door/sessions/{TODAY_SESSION}/self-checkin", "checkin.self_checkin_screen", door_only()),
    ("GET", f"/door/sessions/{SEMINAR_SESSION}/self-checkin", "checkin.self_checkin_screen", staff_only()),
    ("GET", f"/door/sessions/{TODAY_SESSION}/self-checkin.png", "checkin.self_checkin_png", door_only()),
    ("GET", f"/door/sessions/{SEMINAR_SESSION}/self-checkin.png", "checkin.self_checkin_png",
     staff_only()),
    # Self check-in: signed in (a stale code is answered on the page)
    ("GET", f"/checkin/{TODAY_SESSION}/STALECODE", "checkin.self_checkin", signed_in_only()),
    ("POST", f"/checkin/{TODAY_SESSION}/STALECODE", "checkin.self_checkin", signed_in_only()),
    ("GET", f"/checkin/{MISSING}/STALECODE", "checkin.self_checkin", signed_in_only(404)),
    # Certificates: one's own (others are sent back with a message), public verification
    ("GET", "/my/certificates", "checkin.my_certificates", signed_in_only()),
    ("GET", f"/my/certificates/{SERIES}.pdf", "checkin.certificate_download",
     {**signed_in_only(302), REP: 200}),
    ("GET", f"/my/certificates/{SEMINAR}.pdf", "checkin.certificate_download", signed_in_only(302)),
    ("GET", f"/my/certificates/{MISSING}.pdf", "checkin.certificate_download", signed_in_only(404)),
    ("GET", "/certificates/verify", "checkin.verify_code", everyone(200)),
    ("GET", f"/certificates/verify/{CERTIFICATE_CODE}", "checkin.verify_code", everyone(200)),
    ("GET", "/certificates/verify/ZZZZZZZZZZZZ", "checkin.verify_code", everyone(404)),
    # Staff: attendance, certificates by hand, revoking, door staff
    ("GET", f"/staff/events/{SERIES}/attendance", "checkin.attendance", staff_only()),
    ("GET", f"/staff/events/{MISSING}/attendance", "checkin.attendance", staff_only(404)),
    ("POST", f"/staff/events/{SERIES}/certificates/{MEMBER_USER}", "checkin.issue_certificate",
     staff_only(302)),
    ("POST", f"/staff/events/{SERIES}/certificates/{MISSING}", "checkin.issue_certificate",
     staff_only(404)),
    ("POST", f"/staff/certificates/{CERTIFICATE}/revoke", "checkin.revoke_certificate", staff_only(302)),
    ("POST", f"/staff/certificates/{MISSING}/revoke", "checkin.revoke_certificate", staff_only(404)),
    ("POST", f"/staff/checkin-reviews/{MISSING}", "checkin.review_checkin", staff_only(404)),
    ("GET", f"/staff/events/{TODAY}/door", "checkin.door_staff", staff_only()),
    ("POST", f"/staff/events/{TODAY}/door", "checkin.door_staff", staff_only()),
    ("GET", f"/staff/events/{MISSING}/door", "checkin.door_staff", staff_only(404)),
    # Topic voting: rounds and topics are public; proposing, supporting and
    # commenting need an account (in the voting phase they are refused with
    # a message); the ballot is the representative's only
    ("GET", "/topics", "voting.rounds", everyone(200)),
    ("GET", f"/topics/{VOTING_ROUND}", "voting.round_detail", everyone(200)),
    ("GET", f"/topics/{MISSING}", "voting.round_detail", everyone(404)),
    ("GET", f"/topics/{VOTING_ROUND}/propose", "voting.propose", signed_in_only(302)),
    ("GET", f"/topics/{VOTING_ROUND}/topics/{TOPIC}", "voting.topic_detail", everyone(200)),
    ("GET", f"/topics/{VOTING_ROUND}/topics/{RESULTS_TOPIC}", "voting.topic_detail", everyone(404)),
    ("POST", f"/topics/{VOTING_ROUND}/topics/{TOPIC}/support", "voting.support", signed_in_only(302)),
    ("POST", f"/topics/{VOTING_ROUND}/topics/{TOPIC}/comments", "voting.comment", signed_in_only(422)),
    ("GET", f"/topics/{VOTING_ROUND}/ballot/{LISTED}", "voting.ballot",
     {ANON: 302, MEMBER: 403, REP: 200, DOOR: 403, STAFF: 403, ADMIN: 403}),
    ("POST", f"/topics/{VOTING_ROUND}/ballot/{LISTED}", "voting.ballot",
     {ANON: 302, MEMBER: 403, REP: 302, DOOR: 403, STAFF: 403, ADMIN: 403}),
    ("GET", f"/topics/{VOTING_ROUND}/ballot/{PENDING}", "voting.ballot", signed_in_only(403)),
    ("GET", f"/topics/{VOTING_ROUND}/results", "voting.results_page", everyone(404)),
    ("GET", f"/topics/{RESULTS_ROUND}/results", "voting.results_page", everyone(200)),
    ("GET", f"/topics/{RESULTS_ROUND}/results.csv", "voting.results_csv", staff_only()),
    ("GET", f"/topics/{VOTING_ROUND}/results.csv", "voting.results_csv", staff_only(404)),
    # Topic rounds for staff
    ("GET", "/staff/rounds", "staff_voting.rounds", staff_only()),
    ("GET", "/staff/rounds/new", "staff_voting.new_round", staff_only()),
    ("GET", f"/staff/rounds/{VOTING_ROUND}", "staff_voting.manage", staff_only()),
    ("GET", f"/staff/rounds/{MISSING}", "staff_voting.manage", staff_only(404)),
    ("GET", f"/staff/rounds/{VOTING_ROUND}/edit", "staff_voting.edit_round", staff_only()),
    ("POST", f"/staff/rounds/{VOTING_ROUND}/phase", "staff_voting.set_phase", staff_only(302)),
    ("POST", f"/staff/topics/{TOPIC}/approve", "staff_voting.approve", staff_only(302)),
    ("POST", f"/staff/topics/{TOPIC}/reject", "staff_voting.reject", staff_only(302)),
    ("POST", f"/staff/topics/{TOPIC}/merge", "staff_voting.merge", staff_only(302)),
    ("GET", f"/staff/topics/{TOPIC}/edit", "staff_voting.edit_topic", staff_only()),
    ("GET", f"/staff/topics/{MISSING}/edit", "staff_voting.edit_topic", staff_only(404)),
    ("POST", f"/staff/comments/{COMMENT}/hide", "staff_voting.hide_comment", staff_only(302)),
    ("POST", f"/staff/topics/{RESULTS_TOPIC}/series", "staff_voting.create_series", staff_only(302)),
    # Dashboard, statistics, exports, mailings, audit log: staff and admins
    ("GET", "/staff/", "dashboard.index", staff_only()),
    ("GET", "/staff/dashboard/live.json", "dashboard.live", staff_only()),
    ("GET", "/staff/statistics", "dashboard.statistics", staff_only()),
    ("GET", "/staff/statistics.csv", "dashboard.statistics_csv", staff_only()),
    ("GET", f"/staff/events/{SEMINAR}/participants.csv", "dashboard.participants_export", staff_only()),
    ("GET", f"/staff/events/{SEMINAR}/participants.xlsx", "dashboard.participants_export", staff_only()),
    ("GET", f"/staff/events/{MISSING}/participants.csv", "dashboard.participants_export", staff_only(404)),
    ("GET", f"/staff/events/{SERIES}/attendance.csv", "dashboard.attendance_export", staff_only()),
    ("GET", f"/staff/events/{SERIES}/attendance.xlsx", "dashboard.attendance_export", staff_only()),
    ("GET", f"/staff/events/{SEMINAR}/signin.pdf", "dashboard.signin_sheet", staff_only()),
    ("GET", f"/staff/events/{MISSING}/signin.pdf", "dashboard.signin_sheet", staff_only(404)),
    ("GET", "/staff/mailings", "dashboard.mailings", staff_only()),
    # Writing to the MSOs (office news): staff; the unsubscribe link: anyone
    # holding it (an unknown link is 404 for all); one's own choice: signed in
    ("GET", "/staff/outreach", "outreach.compose", staff_only()),
    ("POST", "/staff/outreach", "outreach.compose", staff_only(400)),
    ("GET", "/staff/outreach/mailings", "outreach.mailings", staff_only()),
    ("GET", f"/staff/outreach/mailings/{MISSING}", "outreach.mailing", staff_only(404)),
    ("POST", "/staff/outreach/stop", "outreach.stop_news", staff_only(302)),
    ("GET", "/unsubscribe/unknown-token", "outreach.unsubscribe", everyone(404)),
    ("POST", "/unsubscribe/unknown-token", "outreach.unsubscribe", everyone(404)),
    ("POST", "/account/office-news", "outreach.office_news", signed_in_only(302)),
    # Minutes, materials and the archive: public pages show what each may see; a
    # participants-only file sends a visitor to log in and is 404 for others
    # (ids reveal nothing); the staff page is staff only (empty forms: 422)
    ("GET", f"/events/{SERIES}/archive", "materials.archive", everyone(200)),
    ("GET", f"/events/{DRAFT}/archive", "materials.archive", {**everyone(404), STAFF: 200, ADMIN: 200}),
    ("GET", f"/sessions/{SERIES_SESSION}/minutes", "materials.session_page", everyone(200)),
    ("GET", f"/sessions/{DRAFT_SESSION}/minutes", "materials.session_page",
     {**everyone(404), STAFF: 200, ADMIN: 200}),
    ("GET", f"/materials/{PUBLIC_MATERIAL}/download", "materials.download", everyone(200)),
    ("GET", f"/materials/{PARTICIPANTS_MATERIAL}/download", "materials.download",
     {ANON: 302, MEMBER: 404, REP: 200, DOOR: 404, STAFF: 200, ADMIN: 200}),
    ("GET", f"/materials/{STAFF_MATERIAL}/download", "materials.download",
     {**everyone(404), STAFF: 200, ADMIN: 200}),
    ("GET", f"/materials/{MISSING}/download", "materials.download", everyone(404)),
    ("GET", f"/staff/sessions/{SERIES_SESSION}/minutes", "materials.manage", staff_only()),
    ("GET", f"/staff/sessions/{MISSING}/minutes", "materials.manage", staff_only(404)),
    ("POST", f"/staff/sessions/{SERIES_SESSION}/minutes", "materials.manage", staff_only(422)),
    ("POST", f"/staff/sessions/{SERIES_SESSION}/materials", "materials.upload", staff_only(422)),
    ("POST", f"/staff/materials/{STAFF_MATERIAL}/visibility", "materials.change_visibility", staff_only(400)),
    ("POST", f"/staff/materials/{MISSING}/visibility", "materials.change_visibility", staff_only(404)),
    ("POST", f"/staff/materials/{STAFF_MATERIAL}/delete", "materials.delete", staff_only(302)),
    ("POST", f"/staff/materials/{MISSING}/delete", "materials.delete", staff_only(404)),
    ("POST", f"/staff/sessions/{SERIES_SESSION}/publish", "materials.publish_items", staff_only(302)),
    ("GET", "/staff/audit", "dashboard.audit_log", staff_only()),
    # Agenda (H5): the session page like its event; proposing needs an account
    # (closed here: back to the page with a message); an MSO's proposals for its
    # representatives and staff; the staff agenda of a session
    ("GET", f"/sessions/{SEMINAR_SESSION}", "agenda.session_page", everyone(200)),
    ("GET", f"/sessions/{DRAFT_SESSION}", "agenda.session_page", {**everyone(404), STAFF: 200, ADMIN: 200}),
    ("GET", f"/sessions/{SEMINAR_SESSION}/propose", "agenda.propose", signed_in_only(302)),
    ("GET", f"/sessions/{DRAFT_SESSION}/propose", "agenda.propose", {**signed_in_only(404), STAFF: 302, ADMIN: 302}),
    ("GET", f"/my/organisations/{LISTED}/proposals", "agenda.org_proposals", org_managers()),
    ("GET", f"/my/organisations/{MISSING}/proposals", "agenda.org_proposals", signed_in_only(404)),
    ("GET", f"/staff/sessions/{SEMINAR_SESSION}/agenda", "agenda.staff_agenda", staff_only()),
    ("GET", f"/staff/sessions/{MISSING}/agenda", "agenda.staff_agenda", staff_only(404)),
    ("POST", f"/staff/sessions/{SEMINAR_SESSION}/agenda/items", "agenda.add_item", staff_only(200)),
    ("GET", f"/staff/agenda-items/{MISSING}", "agenda.edit_item", staff_only(404)),
    ("POST", f"/staff/agenda-items/{MISSING}/move", "agenda.move_item", staff_only(404)),
    ("GET", f"/staff/agenda-items/{MISSING}/delete", "agenda.delete_item", staff_only(404)),
    ("POST", f"/staff/sessions/{SEMINAR_SESSION}/agenda/publish", "agenda.publish", staff_only(302)),
    ("POST", f"/staff/sessions/{SEMINAR_SESSION}/agenda/unpublish", "agenda.unpublish", staff_only(302)),
    ("POST", f"/staff/sessions/{SEMINAR_SESSION}/agenda/deadline", "agenda.set_deadline", staff_only(302)),
    ("POST", f"/staff/agenda-proposals/{MISSING}/accept", "agenda.accept_proposal", staff_only(404)),
    ("POST", f"/staff/agenda-proposals/{MISSING}/decline", "agenda.decline_proposal", staff_only(404)),
    ("POST", f"/staff/agenda-proposals/{MISSING}/merge", "agenda.merge_proposal", staff_only(404)),
]

NOT_ROUTES = {"static"}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    covered = {endpoint for _, _, endpoint, _ in ROUTES}
    assert endpoints - covered == set(), "add these routes to ROUTES"
    assert covered - endpoints == set(), "ROUTES names endpoints that do not exist"


@dataclass
class World:
    rep: User
    member: User
    door: User


@pytest.fixture
def world(db, make_user, tmp_path):
    """User 1 (target of role changes) represents LISTED; user 2 asks to join it.
    A published seminar (one session, one slot) in which REP has a seat for
    LISTED, and a draft event with one session, both at one venue.
    For check-in: MEMBER (user 3) has a confirmed seat in a seminar running
    now, whose door DOOR (user 4) works; REP attended both sessions of a
    finished training series and holds its certificate."""
    now = utcnow()
    rep = make_user(Role.MEMBER, email="rep@example.org")
    requester = make_user(Role.MEMBER, email="requester@example.org")
    member = make_user(Role.MEMBER, email="member@example.org", name="Mira Mitglied")
    door = make_user(Role.DOOR, email="door@example.org")
    assert (member.id, door.id) == (MEMBER_USER, DOOR_USER)
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

    # A seminar running now (inside its check-in window); DOOR works its door.
    today = Event(kind="seminar", title="Vernetzungscafé heute", status="published", capacity=10,
                  languages=["de"])
    today_session = EventSession(event=today, starts_at=now - timedelta(minutes=30),
                                 ends_at=now + timedelta(minutes=90), venue=venue)
    today_slot = Slot(event=today, session=today_session, capacity=10, confirmed_count=1)
    db.session.add_all([today, today_session, today_slot])
    db.session.flush()
    member_registration = Registration(slot=today_slot, event_id=today.id, user=member,
                                       status="confirmed", confirmed_at=now)
    db.session.add_all([member_registration, DoorAssignment(event_id=today.id, user_id=door.id)])
    db.session.flush()

    # A finished training series: REP attended both sessions, has the certificate.
    series = Event(kind="series", title="Weiterbildungsreihe Vereinsfinanzen", status="published",
                   capacity=10, languages=["de"], certificate_threshold=50)
    db.session.add(series)
    db.session.flush()
    series_sessions = []
    for weeks in (3, 2):
        start = now - timedelta(weeks=weeks)
        series_sessions.append(EventSession(event=series, starts_at=start,
                                            ends_at=start + timedelta(hours=2), venue=venue))
        db.session.add(series_sessions[-1])
        db.session.flush()
    series_slot = Slot(event=series, session=None, capacity=10, confirmed_count=1)
    db.session.add(series_slot)
    db.session.flush()
    series_registration = Registration(slot=series_slot, event_id=series.id, user=rep,
                                       organisation=listed, status="confirmed",
                                       confirmed_at=now - timedelta(weeks=4))
    db.session.add(series_registration)
    db.session.flush()
    for session in series_sessions:
        db.session.add(Attendance(registration_id=series_registration.id, session_id=session.id,
                                  checked_in_at=session.starts_at, recorded_at=session.starts_at,
                                  method="scan"))
    certificate = Certificate(event_id=series.id, user_id=rep.id, code=CERTIFICATE_CODE,
                              holder_name=rep.name, organisation_name=listed.name,
                              sessions_attended=2, sessions_total=2, minutes_attended=240,
                              issued_at=now - timedelta(weeks=1))
    db.session.add(certificate)
    db.session.commit()
    assert (today.id, today_session.id, series.id) == (TODAY, TODAY_SESSION, SERIES)
    assert [s.id for s in series_sessions] == [4, 5]
    assert (member_registration.id, series_registration.id) == (MEMBER_REGISTRATION, REP_SERIES_REGISTRATION)
    assert certificate.id == CERTIFICATE
    question = RegistrationQuestion(event_id=series.id, kind="yes_no", text={"de": "Kinderbetreuung?"})
    db.session.add(question)
    db.session.commit()
    assert question.id == QUESTION

    # Topic voting: one round open for voting, one with published results.
    day = timedelta(days=1)
    rounds = []
    for title, phase, start in (("Themenrunde offen", "voting", now - 20 * day),
                                ("Themenrunde Ergebnisse", "published", now - 90 * day)):
        round_ = TopicRound(title=title, phase=phase, proposals_open_at=start, moderation_at=start + 10 * day,
                            voting_opens_at=start + 15 * day,
                            voting_closes_at=start + 30 * day if phase == "voting" else start + 20 * day,
                            results_at=None if phase == "voting" else start + 21 * day,
                            points_budget=5, max_per_topic=3, notified_proposals_at=now,
                            notified_voting_at=now, notified_reminder_at=now, notified_results_at=now)
        db.session.add(round_)
        db.session.flush()
        rounds.append(round_)
    topics = [Topic(round_id=r.id, organisation_id=listed.id, proposer_id=rep.id, title=f"Thema {i}",
                    description="Worum es geht", format="evening", status="approved")
              for i, r in enumerate(rounds, 1)]
    db.session.add_all(topics)
    db.session.flush()
    comment = TopicComment(topic_id=topics[0].id, user_id=member.id, body="Gute Idee")
    db.session.add(comment)
    db.session.commit()
    assert [r.id for r in rounds] == [VOTING_ROUND, RESULTS_ROUND]
    assert [t.id for t in topics] == [TOPIC, RESULTS_TOPIC]
    assert comment.id == COMMENT
    # Minutes and materials of the series' first session (files in this test's folder).
    from flask import current_app

    current_app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    (tmp_path / "materials").mkdir(exist_ok=True)
    materials = []
    for number, visibility in enumerate(("public", "participants", "staff"), 1):
        (tmp_path / "materials" / f"file{number}").write_bytes(b"%PDF-1.4\n%%EOF\n")
        materials.append(Material(session_id=SERIES_SESSION, title=f"Folien {number}", filename="folien.pdf",
                                  stored_name=f"file{number}", content_type="application/pdf", size_bytes=14,
                                  visibility=visibility, published_at=now))
    db.session.add_all([*materials, SessionMinutes(session_id=SERIES_SESSION, body="# Protokoll",
                                                   visibility="participants", published_at=now)])
    db.session.commit()
    assert [m.id for m in materials] == [PUBLIC_MATERIAL, PARTICIPANTS_MATERIAL, STAFF_MATERIAL]
    return World(rep=rep, member=member, door=door)


@pytest.fixture
def as_role(client, world, make_user, login):
    def become(role: str):
        if role == REP:
            login(world.rep)
        elif role == MEMBER:
            login(world.member)
        elif role == DOOR:
            login(world.door)
        elif role != ANON:
            login(make_user(Role(role)))
        return client

    return become


def resolve(db, url: str) -> str:
    """Fill in the ticket placeholders (signed with this app's key)."""
    if MEMBER_TICKET in url or TAMPERED_TICKET in url:
        payload = tickets.payload(db.session.get(Registration, MEMBER_REGISTRATION))
        token, signature = payload.split(".")
        flipped = "A" if signature[10] != "A" else "B"
        tampered = f"{token}.{signature[:10]}{flipped}{signature[11:]}"
        url = url.replace(MEMBER_TICKET, payload).replace(TAMPERED_TICKET, tampered)
    return url


# Reading routes change nothing a later request could notice, so one world
# serves all six roles (a fresh client each); routes that change data get a
# fresh world per role.
READING = [route for route in ROUTES if route[0] == "GET"]
CHANGING = [route for route in ROUTES if route[0] != "GET"]


def check_answer(role, method, url, expected, response) -> str | None:
    if response.status_code != expected[role]:
        return f"{role} {method} {url}: {response.status_code}, expected {expected[role]}"
    if response.status_code == 302 and role == ANON and expected[MEMBER] in (200, 400, 403):
        if "/login" not in response.headers["Location"]:
            return f"{role} {method} {url}: redirected to {response.headers['Location']}, not the log-in"
    return None


@pytest.fixture
def role_client(app, world, make_user):
    """A new client for ``role``, logged in through the form (several per test)."""
    fixed = {REP: world.rep, MEMBER: world.member, DOOR: world.door}

    def for_role(role: str):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if role != ANON:
            user = fixed.get(role) or make_user(Role(role))
            response = client.post("/login", data={"email": user.email, "password": PASSWORD})
            assert response.status_code == 302, (role, response.status_code)
        return client

    return for_role


@pytest.mark.parametrize("method,url,endpoint,expected", READING,
                         ids=[f"{m} {u}" for m, u, _, _ in READING])
def test_reading_route_answers_each_role_as_expected(db, role_client, method, url, endpoint, expected):
    url = resolve(db, url)
    problems = [check_answer(role, method, url, expected, role_client(role).open(url, method=method))
                for role in ROLES]
    assert not [p for p in problems if p], problems


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,endpoint,expected", CHANGING,
                         ids=[f"{m} {u}" for m, u, _, _ in CHANGING])
def test_changing_route_answers_each_role_as_expected(db, as_role, role, method, url, endpoint, expected):
    client = as_role(role)
    url = resolve(db, url)
    problem = check_answer(role, method, url, expected, client.open(url, method=method))
    assert problem is None, problem


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


def test_anonymous_visitors_are_sent_to_log_in_for_their_own_data(as_role):
    client = as_role(ANON)
    for method, url in [("GET", "/account/data.json"), ("GET", "/account/delete"), ("POST", "/account/delete"),
                        ("GET", "/account/privacy-notice"), ("POST", "/account/privacy-notice")]:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
