"""Sign-up → e-mail verification → log-in → log-out in a real browser, with
CSRF switched on and the mail going through SMTP.

Selectors use input names, URLs and form actions, never visible text, so the
tests pass whatever language the interface is shown in.
"""
from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

NAME = "Ayşe Testperson"
EMAIL = "ayse.testperson@example.org"
PASSWORD = "a-long-and-secret-passphrase"


def submit_main_form(page):
    page.locator("main form.form button[type=submit]").click()


def logout_button(page):
    return page.locator('header form[action="/logout"] button[type=submit]')


def login_link(page):
    return page.locator('header a[href="/login"]')


def account_link(page):
    return page.locator('header a[href="/account"]')


def assert_pages_had_csp(traffic, live_server):
    documents = [r for r in traffic.documents() if r.url.startswith(live_server.url)]
    assert documents, "no pages were recorded"
    missing = [f"{r.status} {r.url}" for r in documents
               if "content-security-policy" not in r.all_headers()]
    assert not missing, f"pages without a Content-Security-Policy header: {missing}"


def log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(password)
    submit_main_form(page)


def test_sign_up_verify_log_in_log_out(page, live_server, smtp_sink, traffic):
    # Sign up through the real form (with its CSRF token).
    page.goto(f"{live_server.url}/")
    expect(login_link(page)).to_be_visible()
    page.locator('header a[href="/signup"]').click()
    expect(page).to_have_url(f"{live_server.url}/signup")
    page.locator('main input[name="name"]').fill(NAME)
    page.locator('main input[name="email"]').fill(EMAIL)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.locator('main select[name="locale"]').select_option("de")
    page.locator('main input[name="privacy_consent"]').check()
    submit_main_form(page)

    expect(page).to_have_url(f"{live_server.url}/signup/check-your-mail")
    expect(page.locator("main h1")).to_be_visible()

    # The verification mail arrives through SMTP; its link points at this server.
    msg = smtp_sink.wait_for(EMAIL, timeout=10)
    verify_url = smtp_sink.link(msg, "/verify/")
    assert verify_url.startswith(f"{live_server.url}/verify/"), verify_url
    page.goto(verify_url)
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    expect(page.locator(".flash.flash-error")).to_have_count(0)

    # Log in through the form.
    page.locator('main input[name="email"]').fill(EMAIL)
    page.locator('main input[name="password"]').fill(PASSWORD)
    submit_main_form(page)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".flash.flash-success")).to_contain_text(NAME)
    expect(logout_button(page)).to_be_visible()
    expect(account_link(page)).to_be_visible()
    expect(login_link(page)).to_have_count(0)

    # The account page is reachable while logged in.
    account_link(page).click()
    expect(page).to_have_url(f"{live_server.url}/account")

    # Log out (a POST form with a CSRF token).
    logout_button(page).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    expect(login_link(page)).to_be_visible()
    expect(logout_button(page)).to_have_count(0)

    # Logged out for real: the account page sends us to the log-in form.
    page.goto(f"{live_server.url}/account")
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/login")))

    assert len(smtp_sink.messages) == 1, [str(m["Subject"]) for m in smtp_sink.messages]
    assert_pages_had_csp(traffic, live_server)


def test_wrong_password_does_not_log_in(page, live_server, make_live_user, traffic):
    user = make_live_user("wrong.password@example.org", "Wrong Password Person")

    log_in(page, live_server, user["email"], "not-the-right-password")

    expect(page.locator(".flash.flash-error")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(logout_button(page)).to_have_count(0)
    expect(login_link(page)).to_be_visible()
    expect(page.locator('main input[name="email"]')).to_have_value(user["email"])

    # Still not logged in on the next page either.
    page.goto(f"{live_server.url}/account")
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/login")))
    expect(logout_button(page)).to_have_count(0)

    assert_pages_had_csp(traffic, live_server)
