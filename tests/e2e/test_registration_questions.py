"""Registration questions in a real browser, with CSRF on.

1. Staff define a required question (one choice, with a Turkish translation)
   in the editor and add the ready-made access question (sensitive); a
   member who reads Turkish registers: the questions come first, a missing
   required answer is shown next to the question and takes no seat; with
   the answers the seat is taken; staff see both answers in the registrant
   list.
2. The question pages (member's questions page, the staff editor's pages,
   the registrant list with answers) pass axe-core in German and Arabic and
   fit a 320 px wide screen without sideways scrolling.
"""
from __future__ import annotations

from datetime import time as clock
from datetime import timedelta

import pytest

from .conftest import demo_email, log_in_as, new_recorded_context
from .test_accessibility import axe_source, describe, run_axe, set_locale
from .test_org_registry import assert_pages_had_csp, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

SEMINAR = "Seminar Vereinsfinanzen"
MEMBER = {"email": "mira.questions@example.org", "name": "Mira Member", "password": "mira-questions-pass"}
STAFF = {"email": "office.questions@example.org", "name": "Odile Office", "password": "office-questions-pass"}


@pytest.fixture
def seminar(live_server, make_live_user) -> int:
    """A published seminar in ten days, no questions yet. Returns its id."""
    from miado_events.database import utcnow
    from miado_events.events import services
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.timeutil import to_local

    make_live_user(MEMBER["email"], MEMBER["name"], MEMBER["password"], locale="tr")
    make_live_user(STAFF["email"], STAFF["name"], STAFF["password"], locale="en")
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF["email"]))
        staff.role = Role.STAFF.value
        event = services.create_event(staff, services.EventData(kind="seminar", title=SEMINAR, capacity=20,
                                                                 languages=["de"]))
        services.add_session(staff, event, services.SessionData(
            day=to_local(utcnow() + timedelta(days=10)).date(), start=clock(18), end=clock(20),
            online_url="https://meet.example.org/finanzen"))
        services.publish_event(staff, event)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def test_staff_define_a_question_a_member_answers_staff_see_the_answer(page, live_server, traffic, seminar):
    # 1. Staff add a question with a Turkish translation, and the ready-made access question.
    log_in(page, live_server, STAFF["email"], STAFF["password"])
    page.goto(f"{live_server.url}/staff/events/{seminar}")
    page.get_by_role("link", name="Registration questions").click()
    page.get_by_role("link", name="Add a question").click()
    form = page.locator("main form.form")
    form.locator('input[name="text_de"]').fill("Welches Material brauchen Sie?")
    form.locator("details.translations").first.locator("summary").click()
    form.locator('input[name="text_tr"]').fill("Hangi materyale ihtiyacınız var?")
    form.get_by_label("Kind of question").select_option("one_choice")
    form.get_by_label("An answer is required").check()
    form.locator('input[name="choices-0-text_de"]').fill("Gedruckte Unterlagen")
    form.locator('input[name="choices-1-text_de"]').fill("Unterlagen per E-Mail")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Welches Material brauchen Sie?")
    page.get_by_role("button", name="Step-free access and other access needs (sensitive)").click()
    expect(page.locator("main .question-list > li")).to_have_count(2)
    log_out(page, live_server)

    # 2. The member (reading Turkish) registers: the questions first.
    log_in(page, live_server, MEMBER["email"], MEMBER["password"])
    page.goto(f"{live_server.url}/events/{seminar}")
    page.locator("main form.register-form button[type=submit]").first.click()
    questions = page.locator("main fieldset.questions")
    expect(questions).to_contain_text("Hangi materyale ihtiyacınız var?")
    # Choices without a Turkish text are German, and marked so.
    expect(questions.locator('label[lang="de"]', has_text="Gedruckte Unterlagen")).to_have_count(1)
    # Nothing chosen: the problem next to the question, no seat.
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("main .error-message")).to_have_count(1)
    expect(page.locator("main .error-summary")).to_be_visible()
    violations = run_axe(page, axe_source())  # the page with its error passes axe too
    assert not violations, describe([("member", page.url, violations)])
    questions = page.locator("main fieldset.questions")
    questions.locator("label", has_text="Unterlagen per E-Mail").click()
    questions.locator('input[type="text"]').fill("Ich brauche einen Platz für den Rollstuhl.")
    page.locator("main form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/events/{seminar}")
    expect(page.locator(".flash-success")).to_have_count(1)
    log_out(page, live_server)

    # 3. Staff see both answers in the registrant list.
    log_in(page, live_server, STAFF["email"], STAFF["password"])
    page.goto(f"{live_server.url}/staff/events/{seminar}/registrations")
    row = page.locator("main tr", has_text=MEMBER["name"])
    expect(row).to_contain_text("Unterlagen per E-Mail")
    expect(row).to_contain_text("Ich brauche einen Platz für den Rollstuhl.")
    assert_pages_had_csp(traffic, live_server)


# --- the pages on a phone, with axe ------------------------------------------------------


@pytest.fixture(scope="module")
def question_ids(demo_server) -> dict:
    from sqlalchemy import select

    from miado_events.demo import NETWORKING_TITLE
    from miado_events.events import questions
    from miado_events.extensions import db
    from miado_events.models.events import Event

    with demo_server.app.app_context():
        meeting = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
        asked = questions.questions_for(meeting)
        slot = next(s for s in sorted(meeting.slots, key=lambda s: s.session.starts_at) if s.confirmed_count == 0)
        ids = {"event": meeting.id, "slot": slot.id, "question": asked[0].id}
        db.session.remove()
    return ids


def _pages(role: str, i: dict) -> list[str]:
    return {
        "member": [f"/events/{i['event']}/slots/{i['slot']}/register"],
        "staff": [f"/staff/events/{i['event']}/questions", f"/staff/events/{i['event']}/questions/new",
                  f"/staff/questions/{i['question']}", f"/staff/questions/{i['question']}/delete",
                  f"/staff/events/{i['event']}/registrations"],
    }[role]


@pytest.mark.parametrize("role", ["member", "staff"])
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_question_pages_pass_axe_and_fit_a_phone(browser, demo_server, question_ids, lang, role):
    from miado_events.extensions import limiter

    limiter.reset()
    local = {"member": "member", "staff": "staff"}[role]
    set_locale(demo_server, local, lang)
    context = new_recorded_context(browser, demo_server, lang=lang, viewport={"width": 320, "height": 740})
    page = context.new_page()
    source = axe_source()
    found, wide = [], []
    try:
        log_in_as(page, demo_server, demo_email(local), "demo-passwort")
        for path in _pages(role, question_ids):
            response = page.goto(demo_server.url + path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang
            # The editor's translations are open too (what a phone shows when expanded).
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            violations = run_axe(page, source)
            if violations:
                found.append((role, page.url, violations))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 320:
                wide.append(f"{path}: {width}px")
    finally:
        context.close()
    assert not found, describe(found)
    assert not wide, f"sideways scrolling at 320 px ({lang}): {wide}"
    assert not context.foreign_requests
