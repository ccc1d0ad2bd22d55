"""Topic voting in a real browser (product brief, flow 3), with CSRF switched
on: a member proposes a topic, staff approve it and open voting, a
representative distributes the MSO's points (the ballot says while they type
how many are left, or that there are too many) and saves; staff publish the
results and the results page ranks the topics, with the turnout and the chart.
A second test sends manipulated ballots (a raised ``max``, a topic that is
not on the ballot): the server refuses them and stores nothing.

The data is made through the app's services in the live server's database:
two listed MSOs, a member and a representative of MSO A, a representative of
MSO B, staff, and a round in its proposal phase (5 points per MSO, at most 3
on one topic) with two approved topics. Everyone uses the English interface
(their saved language), so answers are matched as English text.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from .test_checkin import ConsoleLog
from .test_org_registry import assert_pages_had_csp, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

ROUND_TITLE = "Seminarthemen 2025"
ORG_A = "Afrikanischer Elternverein Dortmund e.V."
ORG_B = "Polnischer Kulturverein Hörde e.V."

MEMBER = {"email": "mira.member@example.org", "name": "Mira Member", "password": "mira-member-passphrase"}
REP_A = {"email": "rafael.rep@example.org", "name": "Rafael Rep", "password": "rafael-rep-passphrase"}
REP_B = {"email": "bea.rep@example.org", "name": "Bea Rep", "password": "bea-rep-passphrase"}
STAFF = {"email": "office.topics@example.org", "name": "Odile Office", "password": "office-topics-passphrase"}

NEW_TOPIC = "Digitale Vereinsarbeit"  # proposed in the browser
FINANCE = "Vereinsfinanzen und Fördermittel"
VOLUNTEERS = "Ehrenamtliche gewinnen und halten"

BUDGET, MAX_PER_TOPIC = 5, 3

BALLOT_SCREENSHOT = "/tmp/e2e-ballot.png"
RESULTS_SCREENSHOT = "/tmp/e2e-voting-results.png"


# --- data ---------------------------------------------------------------------------


@pytest.fixture
def voting_world(live_server, make_live_user) -> dict:
    """Two listed MSOs, their people, staff, and a round in its proposal phase
    with two approved topics (one from each MSO)."""
    from miado_events.database import utcnow
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.orgs import Membership, Organisation
    from miado_events.voting import services
    from miado_events.voting.services import RoundData, TopicData

    for person in (MEMBER, REP_A, REP_B, STAFF):
        make_live_user(person["email"], person["name"], person["password"], locale="en")
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users[STAFF["email"]]
        staff.role = Role.STAFF.value
        org_a = Organisation(name=ORG_A, legal_form="ev", status="listed", published_fields=["districts"])
        org_b = Organisation(name=ORG_B, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add_all([org_a, org_b])
        db.session.add_all([
            Membership(organisation=org_a, user=users[MEMBER["email"]], role="member", status="active"),
            Membership(organisation=org_a, user=users[REP_A["email"]], role="representative", status="active"),
            Membership(organisation=org_b, user=users[REP_B["email"]], role="representative", status="active"),
        ])
        db.session.flush()
        # The dates keep the round in its proposal phase for the whole test
        # (phases move on by date only forward; staff move them by hand here).
        now = utcnow()
        round_ = services.create_round(staff, RoundData(
            title=ROUND_TITLE, description="Welche Seminare bietet das Büro im nächsten Halbjahr an?",
            proposals_open_at=now - timedelta(days=1), moderation_at=now + timedelta(days=7),
            voting_opens_at=now + timedelta(days=8), voting_closes_at=now + timedelta(days=15),
            points_budget=BUDGET, max_per_topic=MAX_PER_TOPIC), now=now - timedelta(days=2))
        services.set_phase(staff, round_, "proposals")
        finance = services.propose(users[REP_B["email"]], round_, org_b, TopicData(
            title=FINANCE, description="Mitgliedsbeiträge, Spenden, Förderanträge.", languages=["de"]))
        volunteers = services.propose(users[REP_A["email"]], round_, org_a, TopicData(
            title=VOLUNTEERS, description="Wie finden und halten wir Ehrenamtliche?", languages=["de", "fr"],
            format="weekend"))
        services.approve(staff, finance)
        services.approve(staff, volunteers)
        db.session.commit()
        world = {"round": round_.id, "org_a": org_a.id, "org_b": org_b.id,
                 "topics": {FINANCE: finance.id, VOLUNTEERS: volunteers.id}}
        db.session.remove()
    return world


def stored_ballot(live_server, round_id: int, org_id: int) -> dict:
    """What the database holds for the MSO's ballot: ``points`` per topic
    (None: no ballot row), and how many saves were recorded."""
    from miado_events.extensions import db
    from miado_events.models.voting import Ballot, BallotChange, BallotPoints

    with live_server.app.app_context():
        ballot = db.session.scalar(db.select(Ballot).where(Ballot.round_id == round_id,
                                                           Ballot.organisation_id == org_id))
        points = None if ballot is None else dict(db.session.execute(
            db.select(BallotPoints.topic_id, BallotPoints.points).where(BallotPoints.ballot_id == ballot.id)).all())
        changes = db.session.scalar(db.select(db.func.count(BallotChange.id)).join(
            Ballot, Ballot.id == BallotChange.ballot_id).where(Ballot.round_id == round_id,
                                                               Ballot.organisation_id == org_id))
        db.session.remove()
    return {"points": points, "changes": changes, "total": None if ballot is None else ballot.total_points}


def round_phase(live_server, round_id: int) -> str:
    from miado_events.extensions import db
    from miado_events.models.voting import TopicRound

    with live_server.app.app_context():
        phase = db.session.get(TopicRound, round_id).phase
        db.session.remove()
    return phase


def cast_as(live_server, email: str, round_id: int, org_id: int, points: dict) -> None:
    """A representative saves their MSO's ballot through the service."""
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.orgs import Organisation
    from miado_events.models.voting import TopicRound
    from miado_events.voting import ballots

    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        ballots.cast(user, db.session.get(TopicRound, round_id), db.session.get(Organisation, org_id), points)
        db.session.commit()
        db.session.remove()


# --- helpers -------------------------------------------------------------------------


def success(page):
    return page.locator(".flash.flash-success")


def errors(page):
    return page.locator(".flash.flash-error")


def expect_note(page, message: str) -> None:
    """One success message (screen readers hear "Note:" before it)."""
    expect(success(page)).to_have_text(f"Note: {message}")
    expect(errors(page)).to_have_count(0)


def expect_error(page, message: str) -> None:
    """One error message (screen readers hear "Error:" before it)."""
    expect(errors(page)).to_have_text(f"Error: {message}")
    expect(success(page)).to_have_count(0)


def remaining(page):
    return page.locator("#ballot-remaining")


def points_input(page, topic_id: int):
    return page.locator(f'#ballot-form input.points-input[name="points-{topic_id}"]')


def type_points(page, topic_id: int, points: str) -> None:
    """Empty the field and type ``points`` key by key, as a person would."""
    field = points_input(page, topic_id)
    field.fill("")
    field.press_sequentially(points)


def set_phase_as_staff(staff_page, live_server, round_id: int, phase: str, label: str) -> None:
    staff_page.goto(f"{live_server.url}/staff/rounds/{round_id}")
    form = staff_page.locator(f'main form[action="/staff/rounds/{round_id}/phase"]')
    form.locator("select#phase").select_option(phase)
    form.locator("button[type=submit]", has_text="Change phase").click()
    expect(staff_page).to_have_url(f"{live_server.url}/staff/rounds/{round_id}")
    expect_note(staff_page, "The phase has been changed.")
    expect(staff_page.locator("main p", has_text="Phase:").locator("strong")).to_have_text(label)
    assert round_phase(live_server, round_id) == phase


# --- the tests -----------------------------------------------------------------------


def test_propose_approve_vote_and_see_the_ranking(page, second_page, live_server, traffic, voting_world):
    world = voting_world
    round_id, org_a = world["round"], world["org_a"]
    round_url = f"{live_server.url}/topics/{round_id}"
    staff_page = second_page
    console = ConsoleLog()
    console.watch(page)
    console.watch(staff_page)

    # 1. The member finds the round and proposes a topic for her MSO.
    log_in(page, live_server, MEMBER["email"], MEMBER["password"])
    page.locator('header a[href="/topics"]').click()
    expect(page).to_have_url(f"{live_server.url}/topics")
    page.locator(f'main a[href="/topics/{round_id}"]').click()
    expect(page).to_have_url(round_url)
    expect(page.locator("main h1")).to_have_text(ROUND_TITLE)
    expect(page.locator("main .status").first).to_have_text("Proposals open")
    page.locator(f'main a[href="/topics/{round_id}/propose"]').click()
    expect(page).to_have_url(f"{round_url}/propose")

    form = page.locator("main form.form")
    expect(form.locator('select[name="organisation_id"] option')).to_have_count(1)
    expect(form.locator('select[name="organisation_id"]')).to_have_value(str(org_a))
    form.locator('input[name="title"]').fill(NEW_TOPIC)
    form.locator('textarea[name="description"]').fill("Online-Mitgliederversammlungen, Datenschutz, "
                                                      "digitale Kasse.")
    form.locator('textarea[name="why"]').fill("Unser Vorstand arbeitet ehrenamtlich und meist von zu Hause.")
    form.locator('input[type=checkbox][name="languages"][value="de"]').check()
    form.locator('input[type=checkbox][name="languages"][value="ar"]').check()
    form.locator('select[name="format"]').select_option("series")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(re.escape(f"{round_url}/topics/") + r"\d+$"))
    new_topic = int(page.url.rsplit("/", 1)[1])
    expect_note(page, "Thank you! Your topic is waiting for moderation by the office.")
    expect(page.locator("main h1")).to_have_text(NEW_TOPIC)
    expect(page.locator("main .status.status-pending")).to_have_text("Waiting for moderation")
    expect(page.locator("main")).to_contain_text(f"proposed for {ORG_A}")
    expect(page.locator("main")).to_contain_text("1 supporter")  # the proposer backs her own topic
    topics = {**world["topics"], NEW_TOPIC: new_topic}

    # 2. Staff approve it on the round's page.
    log_in(staff_page, live_server, STAFF["email"], STAFF["password"])
    staff_page.locator('header a[href="/staff/rounds"]').click()
    expect(staff_page).to_have_url(f"{live_server.url}/staff/rounds")
    staff_page.locator(f'main a[href="/staff/rounds/{round_id}"]').click()
    expect(staff_page).to_have_url(f"{live_server.url}/staff/rounds/{round_id}")
    proposal = staff_page.locator(f"main li#topic-{new_topic}")
    expect(proposal.locator("h3")).to_have_text(NEW_TOPIC)
    expect(proposal.locator(".status")).to_have_text("Waiting for moderation")
    expect(proposal).to_contain_text(MEMBER["name"])
    proposal.locator(f'form[action="/staff/topics/{new_topic}/approve"] button[type=submit]').click()
    expect(staff_page).to_have_url(f"{live_server.url}/staff/rounds/{round_id}#topic-{new_topic}")
    expect_note(staff_page, "The topic is approved.")
    expect(proposal.locator(".status")).to_have_text("Approved")
    expect(proposal.locator(f'form[action="/staff/topics/{new_topic}/approve"]')).to_have_count(0)

    # The member sees it approved.
    page.reload()
    expect(page.locator("main .status.status-pending")).to_have_count(0)

    # 3. Staff open voting by hand.
    set_phase_as_staff(staff_page, live_server, round_id, "voting", "Voting open")

    # 4. The representative of MSO A opens the ballot from the round's page.
    log_out(page, live_server)
    log_in(page, live_server, REP_A["email"], REP_A["password"])
    page.goto(round_url)
    expect(page.locator("main .status").first).to_have_text("Voting open")
    ballot_section = page.locator('main section[aria-labelledby="ballot-heading"]')
    expect(ballot_section).to_contain_text(f"{ORG_A}: not voted yet")
    ballot_section.locator(f'a[href="/topics/{round_id}/ballot/{org_a}"]', has_text="Vote now").click()
    ballot_url = f"{round_url}/ballot/{org_a}"
    expect(page).to_have_url(ballot_url)
    expect(page.locator("main h1")).to_have_text(f"Ballot of {ORG_A}")
    expect(page.locator("#ballot-form input.points-input")).to_have_count(3)  # the approved topics
    for topic_id in topics.values():
        expect(points_input(page, topic_id)).to_have_value("0")
        expect(points_input(page, topic_id)).to_have_attribute("max", str(MAX_PER_TOPIC))
    # The script has replaced the server's line with its own.
    expect(remaining(page)).to_have_text(f"Points given: 0 of {BUDGET} — {BUDGET} left")

    # It counts while she types.
    type_points(page, new_topic, "3")
    expect(remaining(page)).to_have_text(f"Points given: 3 of {BUDGET} — 2 left")
    type_points(page, topics[VOLUNTEERS], "2")
    expect(remaining(page)).to_have_text(f"Points given: 5 of {BUDGET} — 0 left")
    expect(remaining(page)).not_to_have_class(re.compile(r"\bballot-over\b"))
    type_points(page, topics[FINANCE], "1")
    expect(remaining(page)).to_have_text(f"Too many points: 6 of {BUDGET}. Please take some away.")
    expect(remaining(page)).to_have_class(re.compile(r"\bballot-over\b"))
    type_points(page, topics[FINANCE], "0")
    expect(remaining(page)).to_have_text(f"Points given: 5 of {BUDGET} — 0 left")
    expect(remaining(page)).not_to_have_class(re.compile(r"\bballot-over\b"))
    assert stored_ballot(live_server, round_id, org_a)["points"] is None  # nothing saved while typing
    page.screenshot(path=BALLOT_SCREENSHOT, full_page=True)

    page.locator("#ballot-form button[type=submit]", has_text="Save the ballot").click()
    expect(page).to_have_url(ballot_url)
    expect_note(page, f"The ballot of {ORG_A} is saved. You can change it until voting closes.")
    expect(points_input(page, new_topic)).to_have_value("3")
    expect(points_input(page, topics[VOLUNTEERS])).to_have_value("2")
    expect(points_input(page, topics[FINANCE])).to_have_value("0")
    expect(remaining(page)).to_have_text(f"Points given: 5 of {BUDGET} — 0 left")
    expect(page.locator('main section[aria-labelledby="history-heading"] li')).to_have_count(1)
    expect(page.locator('main section[aria-labelledby="history-heading"] li')).to_contain_text(
        f"{REP_A['name']} · 5 points")
    assert stored_ballot(live_server, round_id, org_a) == {
        "points": {new_topic: 3, topics[VOLUNTEERS]: 2}, "changes": 1, "total": 5}

    page.goto(round_url)
    expect(ballot_section).to_contain_text(f"{ORG_A}: 5 of {BUDGET} points given")
    expect(ballot_section.locator("a", has_text="Change the ballot")).to_have_count(1)

    # MSO B votes too (through the service), so the order is determined:
    # new topic 3+2 = 5, finance 0+3 = 3, volunteers 2+0 = 2.
    cast_as(live_server, REP_B["email"], round_id, world["org_b"], {new_topic: 2, topics[FINANCE]: 3})

    # 5. Staff close the round and publish the results.
    set_phase_as_staff(staff_page, live_server, round_id, "published", "Results published")

    # The ballot can no longer be changed.
    page.goto(ballot_url)
    expect(page.locator("#ballot-form input.points-input:disabled")).to_have_count(3)
    expect(page.locator("#ballot-form button[type=submit]")).to_have_count(0)

    # 6. The results page ranks the topics.
    page.goto(round_url)
    page.locator(f'main a[href="/topics/{round_id}/results"]', has_text="See the results").click()
    expect(page).to_have_url(f"{round_url}/results")
    expect(page.locator("main h1")).to_have_text(f"Results: {ROUND_TITLE}")
    expect(page.locator("main p.lead")).to_have_text("Turnout: 2 of 2 organisations voted (100%).")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("th")).to_have_text([NEW_TOPIC, FINANCE, VOLUNTEERS])
    expect(rows.locator("td:nth-child(1)")).to_have_text(["1", "2", "3"])  # no ties
    expect(rows.locator("td:nth-child(3)")).to_have_text(["5", "3", "2"])  # points
    expect(rows.locator("td:nth-child(4)")).to_have_text(["2", "1", "1"])  # MSOs giving points
    expect(rows.locator("th a").first).to_have_attribute("href", f"/topics/{round_id}/topics/{new_topic}")

    chart = page.locator("main figure.chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-labelledby", "chart-title")
    expect(chart.locator("title#chart-title")).to_have_text("Points per topic")
    expect(chart.locator("text.chart-label")).to_have_text(
        [f"5 · {NEW_TOPIC}", f"3 · {FINANCE}", f"2 · {VOLUNTEERS}"])
    widths = [float(w) for w in chart.locator("rect.chart-bar").evaluate_all(
        "bars => bars.map(b => b.getAttribute('width'))")]
    assert widths == [420.0, 252.0, 168.0], widths  # in proportion to the points, longest first
    page.screenshot(path=RESULTS_SCREENSHOT, full_page=True)

    assert not console.problems(), console.lines
    assert_pages_had_csp(traffic, live_server)


@pytest.mark.parametrize("manipulation", ["raised_max", "foreign_topic"])
def test_a_manipulated_ballot_is_refused_and_nothing_stored(page, live_server, traffic, voting_world,
                                                            manipulation):
    """The page's own limits can be changed in the browser: the server checks
    the rules itself, says why it refuses and saves nothing."""
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.voting import TopicRound
    from miado_events.voting import services

    world = voting_world
    round_id, org_a = world["round"], world["org_a"]
    finance, volunteers = world["topics"][FINANCE], world["topics"][VOLUNTEERS]
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF["email"]))
        services.set_phase(staff, db.session.get(TopicRound, round_id), "voting")
        db.session.commit()
        db.session.remove()

    log_in(page, live_server, REP_A["email"], REP_A["password"])
    ballot_url = f"{live_server.url}/topics/{round_id}/ballot/{org_a}"
    page.goto(ballot_url)
    expect(remaining(page)).to_have_text(f"Points given: 0 of {BUDGET} — {BUDGET} left")

    if manipulation == "raised_max":
        # More than the 3 allowed on one topic (within the budget of 5 in all).
        page.evaluate("""name => {
            const input = document.querySelector(`input[name="${name}"]`);
            input.max = "9";
            input.value = "4";
            input.dispatchEvent(new Event("input", {bubbles: true}));
        }""", f"points-{finance}")
        expect(remaining(page)).to_have_text(f"Points given: 4 of {BUDGET} — 1 left")
        expected = f"At most {MAX_PER_TOPIC} points can go to one topic."
    else:
        # A point for a topic that is not on the ballot, next to a valid one.
        type_points(page, volunteers, "2")
        page.evaluate("""() => {
            const extra = document.createElement("input");
            extra.type = "hidden";
            extra.name = "points-999999";
            extra.value = "1";
            document.getElementById("ballot-form").appendChild(extra);
        }""")
        expected = "One of the topics is not on this ballot."

    with page.expect_response(lambda r: r.request.method == "POST" and r.url == ballot_url) as answer:
        page.locator("#ballot-form button[type=submit]").click()
    assert answer.value.status == 422, answer.value.status
    expect(page).to_have_url(ballot_url)
    expect_error(page, expected)
    # Nothing is stored: no ballot, no points, no recorded change.
    assert stored_ballot(live_server, round_id, org_a) == {"points": None, "changes": 0, "total": None}

    # The round's page still says the MSO has not voted; a fresh ballot is empty.
    page.goto(f"{live_server.url}/topics/{round_id}")
    expect(page.locator('main section[aria-labelledby="ballot-heading"]')).to_contain_text(
        f"{ORG_A}: not voted yet")
    page.goto(ballot_url)
    expect(page.locator("main .meta", has_text="Last saved")).to_have_count(0)
    for topic_id in (finance, volunteers):
        expect(points_input(page, topic_id)).to_have_value("0")
    assert_pages_had_csp(traffic, live_server)
