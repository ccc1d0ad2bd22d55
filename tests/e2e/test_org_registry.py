"""The MSO registry in a real browser, with CSRF switched on and the mail going
through SMTP: an anonymous visitor applies for an organisation, staff review
the application, and the public directory shows only what was consented to.

Selectors use input names, URLs and form actions, never visible text, so the
tests pass whatever language the interface is shown in. Text the test itself
entered (names, descriptions, messages) is matched as text.
"""
from __future__ import annotations

import re
import time

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

ORG_NAME = "Kulturverein Anadolu Hörde"
ORG_SHORT = "KAH"
DESCRIPTION = "Wir organisieren Kulturabende, Saz-Kurse und ein Sommerfest im Stadtteil."
PUBLIC_EMAIL = "secret-mail@example.org"
INTERNAL_CONTACT = "Nur fürs Büro"
ADDRESS = "Hörder Bahnhofstraße 1, 44263 Dortmund"  # given, but not consented to
PHONE = "0231 123456"  # given, but not consented to

APPLICANT_NAME = "Mehmet Antragsteller"
APPLICANT_EMAIL = "mehmet.antrag@example.org"
APPLICANT_PASSWORD = "a-long-and-secret-passphrase"

STAFF_EMAIL = "staff.review@example.org"
STAFF_NAME = "Stefanie Staff"
STAFF_PASSWORD = "staff-secret-passphrase"

CHANGES_MESSAGE = "Bitte beschreiben Sie genauer, für wen Ihre Angebote sind."
RESUBMITTED_DESCRIPTION = "Kulturabende und Saz-Kurse für Familien und Jugendliche in Hörde."

APPLY_SCREENSHOT = "/tmp/e2e-apply.png"
DIRECTORY_SCREENSHOT = "/tmp/e2e-directory.png"


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def staff_page(second_page):
    """The office's browser, separate from the applicant's ``page``."""
    return second_page


def make_staff(live_server, make_live_user) -> dict:
    """A verified user with the staff role in the live server's database."""
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User

    user = make_live_user(STAFF_EMAIL, STAFF_NAME, STAFF_PASSWORD)
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF_EMAIL))
        staff.role = Role.STAFF.value
        db.session.commit()
        db.session.remove()
    return user


def logout_button(page):
    return page.locator('header form[action="/logout"] button[type=submit]')


def log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(password)
    page.locator("main form.form button[type=submit]").click()
    # Staff land on their dashboard, everyone else on the home page.
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(staff/)?$"))
    expect(logout_button(page)).to_be_visible()


def log_out(page, live_server):
    logout_button(page).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator('header a[href="/login"]')).to_be_visible()
    expect(logout_button(page)).to_have_count(0)


def check_boxes(form, name: str, values) -> None:
    for value in values:
        form.locator(f'input[type=checkbox][name="{name}"][value="{value}"]').check()


def apply_anonymously(page, live_server, *, full: bool = True,
                      screenshot: str | None = None) -> None:
    """Fill in and send the public application form as a visitor without an
    account; ``full=False`` leaves the optional fields the test does not need empty."""
    page.goto(f"{live_server.url}/orgs")
    page.locator('main a[href="/orgs/apply"]').click()
    expect(page).to_have_url(f"{live_server.url}/orgs/apply")

    form = page.locator("main form.form")
    form.locator('input[name="name"]').fill(ORG_NAME)
    form.locator('select[name="legal_form"]').select_option("ev")
    form.locator('textarea[name="description"]').fill(DESCRIPTION)
    check_boxes(form, "districts", ["Hörde", "Eving"])
    form.locator('input[name="email"]').fill(PUBLIC_EMAIL)
    if full:
        check_boxes(form, "languages", ["tr", "de"])
        check_boxes(form, "fields_of_work", ["culture"])
        form.locator('textarea[name="internal_contact"]').fill(INTERNAL_CONTACT)
        form.locator('input[name="short_name"]').fill(ORG_SHORT)
        form.locator('input[name="founding_year"]').fill("1998")
        form.locator('input[name="regions"]').fill("Türkei, Kurdistan")
        form.locator('input[name="address"]').fill(ADDRESS)
        form.locator('input[name="phone"]').fill(PHONE)
        form.locator('input[name="website"]').fill("https://kah.example.org")
        form.locator('input[name="members_see_member_list"]').check()
    # Consent to publish some fields, but not the e-mail address.
    check_boxes(form, "published_fields", ["description", "districts", "languages", "fields_of_work"])
    expect(form.locator('input[name="published_fields"][value="email"]')).not_to_be_checked()
    # No similar organisation exists, so no duplicate confirmation is asked for.
    expect(form.locator('input[name="not_a_duplicate"]')).to_have_count(0)

    form.locator('input[name="applicant_name"]').fill(APPLICANT_NAME)
    form.locator('input[name="applicant_email"]').fill(APPLICANT_EMAIL)
    form.locator('input[name="applicant_password"]').fill(APPLICANT_PASSWORD)
    form.locator('select[name="applicant_locale"]').select_option("de")
    form.locator('input[name="privacy_consent"]').check()
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    form.locator("button[type=submit]").click()

    # The confirmation page (rendered in answer to the POST): no form, no error.
    expect(page).to_have_url(f"{live_server.url}/orgs/apply")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator('main a[href="/login"]')).to_be_visible()
    expect(page.locator('main input[name="applicant_email"]')).to_have_count(0)
    expect(page.locator(".flash.flash-error")).to_have_count(0)
    expect(page.locator(".error-summary")).to_have_count(0)


def open_review_from_queue(page, live_server) -> int:
    """Staff: from the header, open the review queue and the application in it."""
    page.locator('header a[href="/staff/orgs"]').click()
    expect(page).to_have_url(f"{live_server.url}/staff/orgs")
    row_link = page.locator("main table a").filter(has_text=ORG_NAME)
    expect(row_link).to_have_count(1)
    href = row_link.get_attribute("href")
    match = re.fullmatch(r"/staff/orgs/(\d+)", href or "")
    assert match, href
    row_link.click()
    expect(page).to_have_url(f"{live_server.url}{href}")
    expect(page.locator("main h1")).to_have_text(ORG_NAME)
    return int(match.group(1))


def decide(page, live_server, org_id: int, decision: str, message: str = "") -> None:
    form = page.locator(f'main form[action="/staff/orgs/{org_id}/decision"]')
    form.locator('select[name="decision"]').select_option(decision)
    if message:
        form.locator('textarea[name="message"]').fill(message)
    form.locator("button[type=submit]").click()
    # Back to the queue, with a success note; nothing is waiting any more.
    expect(page).to_have_url(f"{live_server.url}/staff/orgs")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    expect(page.locator(".flash.flash-error")).to_have_count(0)
    expect(page.locator(f'main a[href="/staff/orgs/{org_id}"]')).to_have_count(0)


def filter_directory_by_district(page, live_server, district: str) -> None:
    form = page.locator("main form.filter-form")
    form.locator('select[name="district"]').select_option(district)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/orgs?") + r".*district="))
    expect(form.locator('select[name="district"]')).to_have_value(district)


def mails_with_link(smtp_sink, to: str, pattern: str, count: int = 1, timeout: float = 10.0):
    """Wait for ``count`` messages to ``to`` whose plain text has a link matching
    ``pattern``; return them all (oldest first)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for msg in list(smtp_sink.messages):
            if to.lower() not in str(msg["To"]).lower():
                continue
            if re.search(r"https?://\S*" + pattern, msg.get_body(("plain",)).get_content()):
                found.append(msg)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            got = [(str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages]
            raise AssertionError(f"expected {count} mail(s) to {to} with a link to {pattern} "
                                 f"within {timeout}s; received: {got}")
        time.sleep(0.05)


def assert_pages_had_csp(traffic, live_server):
    documents = [r for r in traffic.documents() if r.url.startswith(live_server.url)]
    assert documents, "no pages were recorded"
    missing = [f"{r.status} {r.url}" for r in documents
               if "content-security-policy" not in r.all_headers()]
    assert not missing, f"pages without a Content-Security-Policy header: {missing}"


# --- tests -------------------------------------------------------------------------


def test_apply_review_approve_and_find_in_directory(page, live_server, smtp_sink, traffic,
                                                    make_live_user):
    make_staff(live_server, make_live_user)

    # 1. A visitor without an account applies for their organisation.
    apply_anonymously(page, live_server, screenshot=APPLY_SCREENSHOT)

    # The verification mail arrives through SMTP and points at this server.
    msg = smtp_sink.wait_for(APPLICANT_EMAIL, timeout=10)
    verify_url = smtp_sink.link(msg, "/verify/")
    assert verify_url.startswith(f"{live_server.url}/verify/"), verify_url

    # Not yet listed: the directory does not show it.
    page.goto(f"{live_server.url}/orgs")
    expect(page.locator("main .org-list")).to_have_count(0)

    # 2. Staff log in, open the queue and the application, and approve it.
    log_in(page, live_server, STAFF_EMAIL, STAFF_PASSWORD)
    org_id = open_review_from_queue(page, live_server)
    # Staff see the internal contact on the review page.
    expect(page.locator("main")).to_contain_text(INTERNAL_CONTACT)
    decide(page, live_server, org_id, "approve")
    log_out(page, live_server)

    # The office was told of the application, the representative of the approval.
    office = live_server.app.config["STAFF_NOTIFY_EMAIL"]
    [office_mail] = mails_with_link(smtp_sink, office, r"/staff/orgs/\d+")
    assert smtp_sink.link(office_mail, "/staff/orgs/") == f"{live_server.url}/staff/orgs/{org_id}"
    mails_with_link(smtp_sink, APPLICANT_EMAIL, "/my/organisations")

    # 3. A visitor filters the directory by district.
    page.locator('header a[href="/orgs"]').click()
    expect(page).to_have_url(f"{live_server.url}/orgs")
    result_link = page.locator(f'main .org-list a[href="/orgs/{org_id}"]')
    filter_directory_by_district(page, live_server, "Hörde")
    expect(result_link).to_have_count(1)
    expect(result_link).to_have_text(ORG_NAME)
    expect(page.locator("main .org-list > li")).to_contain_text("Hörde")
    directory_html = page.content()
    assert PUBLIC_EMAIL not in directory_html
    assert INTERNAL_CONTACT not in directory_html
    page.screenshot(path=DIRECTORY_SCREENSHOT, full_page=True)

    # The public page shows the consented details only.
    result_link.click()
    expect(page).to_have_url(f"{live_server.url}/orgs/{org_id}")
    expect(page.locator("main h1")).to_contain_text(ORG_NAME)
    main = page.locator("main")
    expect(main).to_contain_text(DESCRIPTION)
    expect(main.locator("dl.summary-list")).to_contain_text("Hörde")
    expect(main.locator("dl.summary-list")).to_contain_text("Eving")
    expect(main.locator(f'a[href="mailto:{PUBLIC_EMAIL}"]')).to_have_count(0)
    html = page.content()
    assert PUBLIC_EMAIL not in html, "the unpublished e-mail address is on the public page"
    assert INTERNAL_CONTACT not in html, "the internal contact is on the public page"
    # Not consented either: address and phone.
    assert ADDRESS not in html
    assert PHONE not in html

    # Another district does not find it.
    page.goto(f"{live_server.url}/orgs")
    filter_directory_by_district(page, live_server, "Mengede")
    expect(page.locator("main .org-list")).to_have_count(0)
    expect(page.locator(f'main a[href="/orgs/{org_id}"]')).to_have_count(0)

    assert_pages_had_csp(traffic, live_server)


def test_changes_requested_then_resubmitted(page, staff_page, live_server, smtp_sink, traffic,
                                            make_live_user):
    """The applicant (``page``) and the office (``staff_page``) use two browsers."""
    make_staff(live_server, make_live_user)
    apply_anonymously(page, live_server, full=False)
    verify_mail = smtp_sink.wait_for(APPLICANT_EMAIL, timeout=10)

    # Staff ask for changes, with a message.
    log_in(staff_page, live_server, STAFF_EMAIL, STAFF_PASSWORD)
    org_id = open_review_from_queue(staff_page, live_server)
    decide(staff_page, live_server, org_id, "needs_changes", CHANGES_MESSAGE)

    # The representative is told by mail; the mail links to "my organisations".
    [changes_mail] = mails_with_link(smtp_sink, APPLICANT_EMAIL, "/my/organisations")
    assert CHANGES_MESSAGE in changes_mail.get_body(("plain",)).get_content()
    mine_url = smtp_sink.link(changes_mail, "/my/organisations")
    assert mine_url == f"{live_server.url}/my/organisations", mine_url

    # They confirm their address with the mailed link and log in.
    page.goto(smtp_sink.link(verify_mail, "/verify/"))
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    log_in(page, live_server, APPLICANT_EMAIL, APPLICANT_PASSWORD)

    # "My organisations" shows the office's message and a link to edit.
    page.goto(mine_url)
    expect(page).to_have_url(f"{live_server.url}/my/organisations")
    entry = page.locator("main .org-list > li").filter(
        has=page.locator(f'a[href="/orgs/{org_id}"]'))
    expect(entry).to_have_count(1)
    expect(entry.locator(".status.status-needs_changes")).to_be_visible()
    expect(entry.locator(".warning")).to_contain_text(CHANGES_MESSAGE)

    # Edit the application and send it again.
    entry.locator(f'a[href="/orgs/{org_id}/edit"]').click()
    expect(page).to_have_url(f"{live_server.url}/orgs/{org_id}/edit")
    expect(page.locator("main .warning")).to_contain_text(CHANGES_MESSAGE)
    form = page.locator("main form.form")
    # The form comes filled in with the application.
    expect(form.locator('input[name="name"]')).to_have_value(ORG_NAME)
    expect(form.locator('input[type=checkbox][name="districts"][value="Hörde"]')).to_be_checked()
    expect(form.locator('input[name="published_fields"][value="email"]')).not_to_be_checked()
    form.locator('textarea[name="description"]').fill(RESUBMITTED_DESCRIPTION)
    form.locator('button[type=submit][name="resubmit"][value="1"]').click()
    expect(page).to_have_url(f"{live_server.url}/orgs/{org_id}/edit")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    expect(page.locator(".flash.flash-error")).to_have_count(0)
    expect(page.locator("main .status.status-pending")).to_be_visible()
    # Pending again: nothing left to resubmit.
    expect(page.locator('main button[name="resubmit"]')).to_have_count(0)

    # The office is told again (a second mail with the review link).
    office = live_server.app.config["STAFF_NOTIFY_EMAIL"]
    office_mails = mails_with_link(smtp_sink, office, f"/staff/orgs/{org_id}", count=2)
    assert len(office_mails) == 2, [str(m["Subject"]) for m in office_mails]

    # Back in the staff queue, with the change since the last decision shown.
    staff_page.goto(f"{live_server.url}/")
    assert open_review_from_queue(staff_page, live_server) == org_id
    expect(staff_page.locator("main .diff ins")).to_contain_text(RESUBMITTED_DESCRIPTION)
    expect(staff_page.locator("main .diff del")).to_contain_text(DESCRIPTION)
    expect(staff_page.locator(f'main form[action="/staff/orgs/{org_id}/decision"]')).to_be_visible()

    assert_pages_had_csp(traffic, live_server)
