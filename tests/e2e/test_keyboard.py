"""Keyboard only, no mouse: sign up (with the privacy consent), follow the
e-mailed verification link, log in, open the calendar and an event, register,
go to "my registrations" and cancel through the confirmation page.

Only ``page.keyboard`` moves and acts: Tab, Shift+Tab, Enter, Space and
typing. Nothing is clicked or filled through a locator; locators only read
(where the focus is, what a field holds). The one ``page.goto`` after the
start is the link from the verification e-mail, which a person opens from
their mail program.

At every Tab stop the focused element must show a visible focus indicator:
it matches ``:focus-visible``, has an outline (not ``none``, at least 2 px)
or a box shadow, lies inside the viewport, and — checked once the focus has
moved on — looks different when it is not focused. On every page the skip
link is the first Tab stop, and following it puts the focus on the main
content.

Selectors use input names, URLs and form actions, never visible text, so the
test passes whatever language the interface is shown in.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

NAME = "Ayşe Tastatur"
EMAIL = "ayse.tastatur@example.org"
PASSWORD = "keyboard-only-passphrase"
SEMINAR_TITLE = "Seminar Vereinsrecht kompakt"

#: At the focused element: how it looks and where it is. The element that had
#: the focus before is looked at again now that it has lost it.
FOCUS_JS = """() => {
  const look = (el) => {
    const cs = getComputedStyle(el);
    return {outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0,
            outlineColor: cs.outlineColor, boxShadow: cs.boxShadow};
  };
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    for (const a of ['name', 'href', 'type', 'value']) {
      if (el.getAttribute(a) && !(a === 'value' && el.tagName === 'INPUT' && el.type !== 'checkbox')) {
        d += '[' + a + '="' + el.getAttribute(a) + '"]';
      }
    }
    return d;
  };
  const result = {previous: null, current: null};
  const prev = window.__keyboardPrevious;
  if (prev && prev.el.isConnected && prev.el !== document.activeElement) {
    result.previous = {desc: prev.desc, focused: prev.look, unfocused: look(prev.el)};
  }
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    window.__keyboardPrevious = null;
    return result;
  }
  const r = el.getBoundingClientRect();
  result.current = Object.assign({
    desc: describe(el), focusVisible: el.matches(':focus-visible'),
    rect: {top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height},
    viewport: {width: window.innerWidth, height: window.innerHeight},
  }, look(el));
  window.__keyboardPrevious = {el: el, desc: result.current.desc, look: look(el)};
  return result;
}"""


TRANSPARENT = re.compile(r"^(transparent|rgba\([^)]*,\s*0\))")


def has_indicator(look: dict) -> bool:
    """An outline of at least 2 px, or a box shadow, in a colour one can see."""
    outline = (look["outlineStyle"] != "none" and look["outlineWidth"] >= 2
               and not TRANSPARENT.match(look["outlineColor"]))
    shadow = look["boxShadow"] not in ("", "none") and not TRANSPARENT.match(look["boxShadow"])
    return outline or shadow


class Keyboard:
    """Presses keys and checks the focus after each Tab or Shift+Tab."""

    def __init__(self, page):
        self.page = page
        self.stops: list[str] = []
        self.at_main = False

    def check_focus(self) -> dict:
        seen = self.page.evaluate(FOCUS_JS)
        prev = seen["previous"]
        if prev:
            focused, unfocused = prev["focused"], prev["unfocused"]
            assert (focused["outlineStyle"], focused["outlineWidth"], focused["outlineColor"],
                    focused["boxShadow"]) != (unfocused["outlineStyle"], unfocused["outlineWidth"],
                                              unfocused["outlineColor"], unfocused["boxShadow"]), (
                f"{prev['desc']} looks the same with and without the focus: {focused}")
        cur = seen["current"]
        assert cur, f"{self.page.url}: the Tab key left the focus nowhere (on the page's body)"
        self.stops.append(cur["desc"])
        where = f"{self.page.url}: {cur['desc']}"
        assert cur["focusVisible"], f"{where} has the focus but does not match :focus-visible"
        assert has_indicator(cur), f"{where} shows no focus indicator: {cur}"
        rect, view = cur["rect"], cur["viewport"]
        assert rect["width"] > 0 and rect["height"] > 0, f"{where} has the focus but no size: {rect}"
        assert rect["bottom"] > 0 and rect["top"] < view["height"] and rect["right"] > 0 \
            and rect["left"] < view["width"], f"{where} has the focus outside the viewport: {rect}"
        return cur

    def tab(self, *, back: bool = False) -> dict:
        self.page.keyboard.press("Shift+Tab" if back else "Tab")
        return self.check_focus()

    def focused_matches(self, selector: str) -> bool:
        return self.page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)",
                                  selector)

    def tab_to(self, selector: str, *, max_stops: int = 60, back: bool = False) -> int:
        """Tab (or Shift+Tab) until ``selector`` has the focus; the number of stops."""
        passed = []
        for n in range(1, max_stops + 1):
            passed.append(self.tab(back=back)["desc"])
            if self.focused_matches(selector):
                return n
        raise AssertionError(f"{self.page.url}: {selector} not reached within {max_stops} stops: {passed}")

    def next_field(self, selector: str) -> None:
        """The very next Tab stop is ``selector`` (a form's fields in order)."""
        assert self.tab_to(selector, max_stops=1) == 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def follow(self, key: str = "Enter") -> None:
        """Activate the focused link or button and wait for the next page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.page.evaluate("() => { window.__keyboardPrevious = null; }")

    def start_page(self, *, skip: bool) -> None:
        """A new page: the skip link is the first Tab stop, on screen; with
        ``skip`` it is followed and the focus is on the main content.

        A page reached by a redirect after a form sent from ``…#main`` (the
        skip link's target) opens at ``#main`` too: the browser starts the
        Tab order at the main content there, so the first stop must lie
        past the header (the skip link's work is already done)."""
        self.at_main = urlsplit(self.page.url).fragment == "main"
        cur = self.tab()
        if self.at_main:
            assert self.page.evaluate(
                "() => !document.activeElement.closest('header, .skip-link')"), (
                f"{self.page.url}: opened at #main, but the first Tab stop is {cur['desc']}")
            return
        assert self.focused_matches("a.skip-link[href='#main']"), (
            f"{self.page.url}: the first Tab stop is {cur['desc']}, not the skip link")
        if skip:
            self.press("Enter")
            expect(self.page.locator("main#main")).to_be_focused()

    def tab_to_header(self, selector: str) -> int:
        """A link in the header: forwards from the top of the page, backwards
        (Shift+Tab) from the main content."""
        return self.tab_to(selector, back=self.at_main)


@pytest.fixture
def seminar(live_server, make_live_user) -> dict:
    """A published public seminar three weeks ahead, with free seats."""
    from miado_events.events import services
    from miado_events.events.services import EventData, SessionData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot

    make_live_user("buero.tastatur@example.org", "Büro Tastatur")
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == "buero.tastatur@example.org"))
        staff.role = Role.STAFF.value
        venue = services.save_venue(staff, VenueData(
            name="Dietrich-Keuning-Haus", address="Leopoldstraße 50–58, 44147 Dortmund",
            district="Innenstadt-Nord", room="Raum 2.14", accessibility_notes="Stufenloser Zugang, Aufzug."))
        event = services.create_event(staff, EventData(kind="seminar", title=SEMINAR_TITLE, capacity=12,
                                                       languages=["de"]))
        services.add_session(staff, event, SessionData(day=date.today() + timedelta(days=21), start=time(18),
                                                       end=time(20), venue_id=venue.id))
        services.publish_event(staff, event)
        db.session.commit()
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == event.id))
        ids = {"event": event.id, "slot": slot.id}
        db.session.remove()
    return ids


def at(base: str, path: str) -> re.Pattern:
    """The page at ``path``. After the skip link the address ends in #main,
    and a form sent from there keeps it through the redirect (as in any
    browser: a Location without a fragment inherits the request's)."""
    return re.compile(re.escape(base + path) + r"(#main)?$")


def registration_status(live_server) -> list[str]:
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    with live_server.app.app_context():
        rows = db.session.scalars(db.select(Registration.status).join(User, User.id == Registration.user_id)
                                  .where(User.email == EMAIL)).all()
        db.session.remove()
    return list(rows)


def test_sign_up_register_and_cancel_with_the_keyboard_only(page, live_server, smtp_sink, seminar):
    kb = Keyboard(page)
    url = live_server.url
    page.goto(f"{url}/")

    # Sign up: the link in the header, then the form field by field.
    kb.start_page(skip=False)
    kb.tab_to_header('header a[href="/signup"]')
    kb.follow()
    expect(page).to_have_url(at(url, "/signup"))
    kb.start_page(skip=True)
    kb.tab_to('main input[name="name"]', max_stops=3)
    kb.type(NAME)
    kb.next_field('main input[name="email"]')
    kb.type(EMAIL)
    kb.next_field('main input[name="password"]')
    kb.type(PASSWORD)
    kb.next_field('main select[name="locale"]')
    expect(page.locator('main select[name="locale"]')).to_have_value("de")
    kb.next_field('main a[href="/datenschutz"]')  # the privacy notice, right before the consent
    kb.next_field('main input[name="privacy_consent"]')
    kb.press("Space")
    expect(page.locator('main input[name="privacy_consent"]')).to_be_checked()
    kb.next_field("main form.form button[type=submit]")
    kb.follow()
    expect(page).to_have_url(at(url, "/signup/check-your-mail"))

    # The verification link from the e-mail (opened from the mail program).
    verify_url = smtp_sink.link(smtp_sink.wait_for(EMAIL), "/verify/")
    assert verify_url.startswith(f"{url}/verify/"), verify_url
    page.goto(verify_url)
    expect(page).to_have_url(at(url, "/login"))
    expect(page.locator(".flash.flash-success")).to_be_visible()

    # Log in.
    kb.start_page(skip=True)
    kb.tab_to('main input[name="email"]', max_stops=3)
    kb.type(EMAIL)
    kb.next_field('main input[name="password"]')
    kb.type(PASSWORD)
    kb.tab_to("main form.form button[type=submit]", max_stops=3)
    kb.follow()
    expect(page).to_have_url(at(url, "/"))
    expect(page.locator('header form[action="/logout"]')).to_have_count(1)

    # The calendar, then the seminar.
    kb.start_page(skip=False)
    kb.tab_to_header('header a[href="/calendar"]')
    kb.follow()
    expect(page).to_have_url(at(url, "/calendar"))
    kb.start_page(skip=True)
    kb.tab_to(f'main a[href="/events/{seminar["event"]}"]')
    kb.follow()
    expect(page).to_have_url(at(url, f"/events/{seminar['event']}"))

    # Register.
    kb.start_page(skip=True)
    kb.tab_to(f'main form[action="/events/{seminar["event"]}/slots/{seminar["slot"]}/register"] '
              "button[type=submit]")
    kb.follow()
    expect(page).to_have_url(at(url, f"/events/{seminar['event']}"))
    expect(page.locator(".flash.flash-success")).to_be_visible()
    assert registration_status(live_server) == ["confirmed"]

    # My registrations, then cancel with its confirmation.
    kb.start_page(skip=False)
    kb.tab_to_header('header a[href="/my/registrations"]')
    kb.follow()
    expect(page).to_have_url(at(url, "/my/registrations"))
    kb.start_page(skip=True)
    kb.tab_to('main a[href^="/registrations/"][href$="/cancel"]')
    kb.follow()
    expect(page).to_have_url(re.compile(re.escape(url) + r"/registrations/\d+/cancel(#main)?$"))
    kb.start_page(skip=True)
    kb.tab_to("main a.button-secondary", max_stops=3)        # past "yes", to "no, go back" ...
    kb.tab_to("main form button[type=submit]", max_stops=1, back=True)  # ... and back to "yes"
    kb.follow("Space")
    expect(page).to_have_url(at(url, "/my/registrations"))
    expect(page.locator(".flash.flash-success")).to_be_visible()
    assert registration_status(live_server) == ["cancelled"]

    print(f"keyboard: {len(kb.stops)} Tab stops, each with a visible focus indicator")
