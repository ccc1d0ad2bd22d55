"""axe-core (WCAG 2.0/2.1 A and AA rules) on every kind of page, in German and
in Arabic (right to left), for every role: visitor, member, MSO
representative, staff, door staff, admin, and the error pages.

The pages are those of the demo data (``miado_events.demo``) plus a topic
round open for proposals, a mailing and some sent e-mails, so that lists and
tables have rows. One browser context per role and language visits its pages
in a loop; every violation found on any of them is reported at the end
(rule, impact, the elements' selectors, the help text and the page).

The language is chosen as a person chooses it: the switcher's ``lang``
cookie for visitors, the saved preference for the logged-in (it comes first,
so the test sets it on the accounts it uses).

axe's own script is evaluated through the DevTools protocol
(``page.evaluate``), which the pages' Content-Security-Policy (no inline
scripts) does not apply to; the pages keep their CSP as in production.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import DEMO_PASSWORD, demo_email, log_in_as, new_recorded_context

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ["de", "ar"]
PROPOSALS_ROUND_TITLE = "Themenrunde Vorschläge offen (Barrierefreiheitstest)"
MAILING_SUBJECT = "Hinweis zum Seminar (Barrierefreiheitstest)"


def axe_source() -> str:
    if not AXE_PATH.is_file():
        from .conftest import missing

        missing(f"axe-core is not installed ({AXE_PATH}); run `npm ci` in the repository root")
    return AXE_PATH.read_text(encoding="utf-8")


# --- the data: demo data plus what the demo leaves empty ----------------------------


@pytest.fixture(scope="module")
def world(demo_server) -> dict:
    """Ids of the demo records each page needs, after adding a round open for
    proposals (one approved topic with a comment, one waiting for
    moderation), a mailing to a seminar's participants and the e-mails it
    sent (so the outbox has rows)."""
    from sqlalchemy import select

    from miado_events import demo
    from miado_events.database import utcnow
    from miado_events.events import broadcast
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.checkin import Certificate
    from miado_events.models.events import Event, Registration
    from miado_events.models.orgs import Organisation
    from miado_events.models.voting import Topic, TopicRound
    from miado_events.voting import services as voting

    app = demo_server.app
    with app.app_context():
        def user(local):
            return db.session.scalar(select(User).where(User.email == demo_email(local)))

        def event(title):
            return db.session.scalar(select(Event).where(Event.title == title))

        admin, member = user("admin"), user("member")
        now = utcnow()
        day = timedelta(days=1)
        round_ = voting.create_round(admin, voting.RoundData(
            title=PROPOSALS_ROUND_TITLE, description="Welche Themen brauchen Ihre Vereine?",
            proposals_open_at=now - 2 * day, moderation_at=now + 10 * day,
            voting_opens_at=now + 14 * day, voting_closes_at=now + 28 * day), now=now - 3 * day)
        voting.set_phase(admin, round_, "proposals", now=now - 2 * day)
        org = voting.member_organisations(member, round_)[0]
        approved = voting.propose(member, round_, org, voting.TopicData(
            title="Buchhaltung für kleine Vereine", description="Kasse, Belege, Jahresabschluss.",
            why="Der Vorstand wechselt oft.", languages=["de", "tr"], format="evening"), now=now - day)
        voting.approve(admin, approved)
        voting.comment(user("rep2"), approved, "Das brauchen wir auch.", now=now - day)
        pending = voting.propose(user("rep1"), round_, voting.member_organisations(user("rep1"), round_)[0],
                                 voting.TopicData(title="Jugendarbeit im Verein",
                                                  description="Wie erreichen wir Jugendliche?",
                                                  languages=["de"], format="weekend"), now=now - day)
        db.session.commit()

        seminar = event("Seminar: Ehrenamt gewinnen und halten (Demo)")  # full, with a waiting list
        broadcast.broadcast(admin, seminar, subject=MAILING_SUBJECT,
                            body="Bitte bringen Sie Ihre Fragen mit.", audience=["confirmed"])
        db.session.commit()

        networking = event(demo.NETWORKING_TITLE)
        cafe = event(demo.CHECKIN_TITLE)
        finished = event(demo.FINISHED_SERIES_TITLE)
        open_seminar = event("Seminar: Social Media für Vereine (Demo)")
        first_org = db.session.scalar(select(Organisation).where(Organisation.name == demo.DEMO_ORGS[0][0]))
        pending_org = db.session.scalar(select(Organisation).where(Organisation.status == "pending"))
        ticket = db.session.scalar(select(Registration).where(
            Registration.event_id == cafe.id, Registration.user_id == member.id))
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == member.id))
        closed = db.session.scalar(select(TopicRound).where(TopicRound.title == demo.CLOSED_ROUND_TITLE))
        voting_round = db.session.scalar(select(TopicRound).where(TopicRound.title == demo.OPEN_ROUND_TITLE))
        voting_topic = db.session.scalar(select(Topic).where(Topic.round_id == voting_round.id,
                                                             Topic.status == "approved"))
        ids = {
            "networking": networking.id, "networking_session": networking.sessions[0].id,
            "cafe": cafe.id, "cafe_session": cafe.sessions[0].id,
            "finished": finished.id, "seminar": seminar.id, "open_seminar": open_seminar.id,
            "org": first_org.id, "pending_org": pending_org.id,
            "ticket": ticket.id, "certificate": certificate.code,
            "closed_round": closed.id, "voting_round": voting_round.id, "voting_topic": voting_topic.id,
            "proposals_round": round_.id, "approved_topic": approved.id, "pending_topic": pending.id,
        }
        db.session.remove()
    return ids


# --- the pages --------------------------------------------------------------------

# Each page: (name, path, how). ``how`` is None for a plain GET, an int for
# the expected error status, or a callable that brings the page into the
# state to check (after the GET).


def submit_empty(page) -> None:
    """Send the page's main form as it is (the forms have ``novalidate``, so
    the server answers with its error messages)."""
    form = page.locator("main form.form").first
    form.locator("button[type=submit]").last.click()
    expect(page.locator("#error-summary")).to_be_visible()


def wrong_password(page) -> None:
    """The password form with a wrong current password and two new passwords
    that differ: errors on more than one field."""
    form = page.locator('main form[action="/account/password"]')
    form.locator('input[name="current_password"]').fill("not-the-password")
    form.locator('input[name="password"]').fill("a-new-long-password-1")
    form.locator('input[name="confirm"]').fill("a-new-long-password-2")
    form.locator("button[type=submit]").click()
    expect(page.locator("main .error-message").first).to_be_visible()


def search_scanner(page) -> None:
    """The scanner after a search by name (the match list with its buttons)."""
    page.locator('main input[name="q"]').first.press_sequentially("Mila")
    page.locator('main input[name="q"]').first.press("Enter")
    expect(page.locator("#search-results li").first).to_be_visible()


def pages_for(role: str, ids: dict) -> list[tuple]:
    i = ids
    visitor = [
        ("home", "/", None),
        ("calendar", "/calendar", None),
        ("calendar filtered", "/calendar?kind=seminar", None),
        ("month", "/calendar/{y}/{m}", None),
        ("event", f"/events/{i['networking']}", None),
        ("MSO directory", "/orgs", None),
        ("MSO page", f"/orgs/{i['org']}", None),
        ("MSO application form", "/orgs/apply", None),
        ("log-in", "/login", None),
        ("log-in with errors", "/login", submit_empty),
        ("sign-up", "/signup", None),
        ("sign-up with errors", "/signup", submit_empty),
        ("forgot password", "/forgot-password", None),
        ("privacy notice", "/datenschutz", None),
        ("imprint", "/impressum", None),
        ("accessibility statement", "/barrierefreiheit", None),
        ("certificate verification", "/certificates/verify", None),
        ("certificate verified", f"/certificates/verify/{i['certificate']}", None),
        ("topic rounds", "/topics", None),
        ("public round results", f"/topics/{i['closed_round']}/results", None),
        ("404", "/no-such-page", 404),
    ]
    member = [
        ("my registrations", "/my/registrations", None),
        ("ticket", f"/my/registrations/{i['ticket']}/ticket", None),
        ("event with registration form", f"/events/{i['open_seminar']}", None),
        ("account", "/account", None),
        ("account form with errors", "/account", wrong_password),
        ("my calendar", "/my/calendar", None),
        ("my certificates", "/my/certificates", None),
        ("my MSOs", "/my/organisations", None),
        ("round open for proposals", f"/topics/{i['proposals_round']}", None),
        ("round in voting", f"/topics/{i['voting_round']}", None),
        ("topic with comments", f"/topics/{i['proposals_round']}/topics/{i['approved_topic']}", None),
        ("proposal form", f"/topics/{i['proposals_round']}/propose", None),
        ("proposal form with errors", f"/topics/{i['proposals_round']}/propose", submit_empty),
        ("delete account", "/account/delete", None),
        ("403", "/staff/", 403),
    ]
    representative = [
        ("MSO members", f"/orgs/{i['org']}/members", None),
        ("MSO profile form", f"/orgs/{i['org']}/edit", None),
        ("ballot", f"/topics/{i['voting_round']}/ballot/{i['org']}", None),
        ("MSO bookings", f"/my/organisations/{i['org']}/bookings", None),
        ("register a person form", f"/events/{i['open_seminar']}/register-person", None),
    ]
    staff = [
        ("dashboard", "/staff/", None),
        ("statistics", "/staff/statistics", None),
        ("audit log", "/staff/audit", None),
        ("event list", "/staff/events", None),
        ("new event form", "/staff/events/new", None),
        ("new event form with errors", "/staff/events/new", submit_empty),
        ("event edit form", f"/staff/events/{i['networking']}", None),
        ("session form", f"/staff/sessions/{i['networking_session']}", None),
        ("participants", f"/staff/events/{i['seminar']}/registrations", None),
        ("participants added by hand", f"/staff/events/{i['open_seminar']}/registrations", None),
        ("add a person form", f"/staff/events/{i['open_seminar']}/registrations/add", None),
        ("attendance", f"/staff/events/{i['finished']}/attendance", None),
        ("door staff assignment", f"/staff/events/{i['cafe']}/door", None),
        ("mailing form", f"/staff/events/{i['seminar']}/broadcast", None),
        ("mailings", "/staff/mailings", None),
        ("outbox", "/staff/outbox", None),
        ("venues", "/staff/venues", None),
        ("rounds", "/staff/rounds", None),
        ("new round form", "/staff/rounds/new", None),
        ("topic moderation", f"/staff/rounds/{i['proposals_round']}", None),
        ("round in voting (staff)", f"/staff/rounds/{i['voting_round']}", None),
        ("topic edit form", f"/staff/topics/{i['pending_topic']}/edit", None),
        ("MSO review queue", "/staff/orgs", None),
        ("MSO review", f"/staff/orgs/{i['pending_org']}", None),
        ("self check-in screen", f"/door/sessions/{i['cafe_session']}/self-checkin", None),
    ]
    door = [
        ("door index", "/door/", None),
        ("scanner", f"/door/sessions/{i['cafe_session']}", None),
        ("scanner search", f"/door/sessions/{i['cafe_session']}", search_scanner),
        ("403 for door staff", "/admin/users", 403),
    ]
    admin = [
        ("users", "/admin/users", None),
    ]
    return {"visitor": visitor, "member": member, "representative": representative,
            "staff": staff, "door": door, "admin": admin}[role]


ACCOUNTS = {"visitor": None, "member": "member", "representative": "rep1", "staff": "staff",
            "door": "door", "admin": "admin"}


# --- running axe -------------------------------------------------------------------


def run_axe(page, source: str) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}))}));
        }""", AXE_TAGS)


def describe(found: list[tuple[str, str, list[dict]]]) -> str:
    lines = []
    for name, url, violations in found:
        for v in violations:
            lines.append(f"[{name}] {urlsplit(url).path}: {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:8]:
                lines.append(f"    {' '.join(map(str, node['target']))}  {node['html']}")
                lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
            if len(v["nodes"]) > 8:
                lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def set_locale(server, local: str, lang: str) -> None:
    """The saved language of a demo account (it comes before the cookie)."""
    from sqlalchemy import select

    from miado_events.extensions import db
    from miado_events.models.accounts import User

    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == demo_email(local)))
        user.locale = lang
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("role", list(ACCOUNTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_axe_violations(browser, demo_server, world, lang, role):
    from datetime import date

    from miado_events.extensions import limiter

    source = axe_source()
    local = ACCOUNTS[role]
    context = new_recorded_context(browser, demo_server, lang=lang)
    found = []
    visited = 0
    try:
        page = context.new_page()
        if local:
            set_locale(demo_server, local, lang)
            limiter.reset()
            log_in_as(page, demo_server, demo_email(local), DEMO_PASSWORD)
        today = date.today()
        for name, path, how in pages_for(role, world):
            url = demo_server.url + path.format(y=today.year, m=today.month)
            response = page.goto(url)
            expected = how if isinstance(how, int) else 200
            assert response.status == expected, f"{name}: {url} answered {response.status}, not {expected}"
            if callable(how):
                how(page)
            html = page.locator("html")
            expect(html).to_have_attribute("lang", lang)
            expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
            violations = run_axe(page, source)
            visited += 1
            if violations:
                found.append((name, page.url, violations))
    finally:
        context.close()
    print(f"axe: {role} in {lang}: {visited} pages, {sum(len(v) for _, _, v in found)} violations")
    assert not context.foreign_requests, f"requests to other hosts: {context.foreign_requests}"
    assert not found, f"axe found violations ({role}, {lang}):\n" + describe(found)


# --- the self check-in screen: no time limit the person cannot turn off ---------------


def test_self_check_in_screen_swaps_its_code_without_reloading(browser, demo_server, world):
    """Instead of a meta refresh (WCAG 2.2.1), the screen's script puts the
    new QR code and address in place when the code changes; the page itself
    stays (nothing the person is reading or focusing is taken away)."""
    from miado_events.extensions import limiter

    app = demo_server.app
    rotate = app.config["SELF_CHECKIN_ROTATE_SECONDS"]
    app.config["SELF_CHECKIN_ROTATE_SECONDS"] = 5
    context = new_recorded_context(browser, demo_server)
    try:
        page = context.new_page()
        limiter.reset()
        log_in_as(page, demo_server, demo_email("door"), DEMO_PASSWORD)
        page.goto(f"{demo_server.url}/door/sessions/{world['cafe_session']}/self-checkin")
        assert page.locator('meta[http-equiv="refresh" i]').count() == 0
        expect(page.locator("#self-screen .js-only")).to_be_visible()
        expect(page.locator("#self-screen .no-js-only")).to_be_hidden()
        expect(page.locator("#self-screen-reload")).to_be_visible()
        first_url = page.locator("#self-screen-url").inner_text()
        first_src = page.locator("#self-screen-qr").get_attribute("src")
        page.evaluate("() => { window.stillTheSamePage = true; }")

        expect(page.locator("#self-screen-url")).not_to_have_text(first_url, timeout=15_000)
        new_url = page.locator("#self-screen-url").inner_text()
        code = new_url.rsplit("/", 1)[1]
        expect(page.locator("#self-screen-qr")).to_have_attribute("src", re.compile(f"c={code}$"))
        assert page.locator("#self-screen-qr").get_attribute("src") != first_src
        page.wait_for_function("() => { const i = document.getElementById('self-screen-qr');"
                               " return i.complete && i.naturalWidth > 0; }")
        assert page.evaluate("() => window.stillTheSamePage === true"), "the page was reloaded"
    finally:
        app.config["SELF_CHECKIN_ROTATE_SECONDS"] = rotate
        context.close()
    assert not context.foreign_requests, f"requests to other hosts: {context.foreign_requests}"


def test_self_check_in_screen_without_javascript_offers_a_link_to_the_current_code(browser, demo_server,
                                                                                   world):
    from miado_events.extensions import limiter

    context = new_recorded_context(browser, demo_server, java_script_enabled=False)
    try:
        page = context.new_page()
        limiter.reset()
        log_in_as(page, demo_server, demo_email("door"), DEMO_PASSWORD)
        url = f"{demo_server.url}/door/sessions/{world['cafe_session']}/self-checkin"
        page.goto(url)
        expect(page.locator("#self-screen .no-js-only")).to_be_visible()
        expect(page.locator("#self-screen .js-only")).to_be_hidden()
        link = page.locator("#self-screen-reload")
        expect(link).to_be_visible()
        expect(page.locator("#self-screen-qr")).to_be_visible()
        link.click()
        page.wait_for_load_state()
        assert page.url == url
        expect(page.locator("#self-screen-qr")).to_be_visible()
    finally:
        context.close()
