"""Reflow (WCAG 1.4.10): no page is wider than the screen.

Every page of the permission matrix that its role may open (status 200, an
HTML page), plus the error page, is opened as that role in a 320 px wide
browser, in German and in Arabic (right to left), and measured at 320 px and
at 390 px: ``document.documentElement.scrollWidth`` must not exceed the
viewport. The world and the routes are those of
tests/integration/test_permission_matrix.py (imported, not copied): a new
route there is checked here too.

One browser, one context per role and language, one load per page (the
second width is a resize of the same page): GET requests only.
"""
from __future__ import annotations

import pytest

from ..conftest import PASSWORD
from ..integration.test_permission_matrix import (  # noqa: F401 (world is a fixture)
    ANON,
    DOOR,
    MEMBER,
    REP,
    ROLES,
    ROUTES,
    resolve,
    world,
)
from .conftest import _serve, log_in_as, new_recorded_context

WIDTHS = (320, 390)
NOT_PAGES = (".csv", ".pdf", ".ics", ".json", ".png", ".xlsx", ".js", ".webmanifest", "/healthz", "/download")
ERROR_PAGE = "/no-such-page"

# The page's widest elements, innermost first, when it is wider than the screen.
MEASURE = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 1 || box.left < -1)) wide.push(el);
  }
  const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  const describe = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' +
      (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '" ' +
      Math.round(el.getBoundingClientRect().width) + 'px';
  return {scrollWidth: root.scrollWidth, width: width, elements: innermost.slice(0, 4).map(describe)};
}"""


def pages_for(role: str) -> list[str]:
    urls = [url for method, url, _endpoint, expected in ROUTES
            if method == "GET" and expected[role] == 200 and not url.endswith(NOT_PAGES)]
    return [*dict.fromkeys(urls), ERROR_PAGE]


# Words a narrow screen must cope with: long German compounds, a long e-mail address.
LONG_NAME = "Migrantenselbstorganisationendachverbandsvorsitzende Oluwaseun Adebayo-Kowalczyk"
LONG_EMAIL = "oluwaseun.adebayo-kowalczyk.vorsitzende@migrantenselbstorganisationen-dortmund.example.org"
LONG_ORG = "Interkultureller Migrantenselbstorganisationendachverband Dortmund-Nordstadt e.V."
LONG_TITLE = "Vereinsfinanzierungsmöglichkeitenberatungsveranstaltung Integrationsförderrichtlinie"


@pytest.fixture
def matrix_server(app, db, world):  # noqa: F811 (the imported fixture)
    """The permission matrix's world, with long words in its names, served on a real port."""
    from miado_events.models.events import Event, Venue
    from miado_events.models.orgs import Organisation

    world.rep.name, world.rep.email = LONG_NAME, LONG_EMAIL
    world.member.name = LONG_NAME
    for org in db.session.scalars(db.select(Organisation)):
        org.name = f"{LONG_ORG} {org.id}"
        org.email, org.website = LONG_EMAIL, "https://www.migrantenselbstorganisationen-dortmund.example.org/verein"
        org.published_fields = ["districts", "email", "website"]
    for event in db.session.scalars(db.select(Event)):
        event.title = f"{LONG_TITLE} {event.id}"
    for venue in db.session.scalars(db.select(Venue)):
        venue.address = "Stadtteilbegegnungszentrumsverwaltungsgebäude, Leopoldstraße 50–58, 44147 Dortmund"
    db.session.commit()
    yield from _serve(app, "reflow-server")


def accounts(db, world, make_user) -> dict[str, str | None]:  # noqa: F811
    """The e-mail address each role logs in with (None: not signed in)."""
    from miado_events.models.accounts import Role

    emails = {ANON: None, REP: world.rep.email, MEMBER: world.member.email, DOOR: world.door.email}
    for role in ROLES:
        if role not in emails:
            emails[role] = make_user(Role(role)).email
    return emails


def set_language(db, email: str, lang: str) -> None:
    """A signed-in person's pages come in their saved language."""
    from miado_events.models.accounts import User

    user = db.session.scalar(db.select(User).where(User.email == email))
    user.locale = lang
    db.session.commit()


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_no_page_is_wider_than_a_phone_screen(browser, matrix_server, db, world, make_user, lang):  # noqa: F811
    from miado_events.extensions import limiter

    emails = accounts(db, world, make_user)
    problems: list[str] = []
    visited = 0
    for role in ROLES:
        email = emails[role]
        if email:
            set_language(db, email, lang)
        db.session.remove()  # the server's threads see every change
        limiter.reset()
        context = new_recorded_context(browser, matrix_server, lang=None if email else lang,
                                       viewport={"width": WIDTHS[0], "height": 640})
        try:
            page = context.new_page()
            if email:
                log_in_as(page, matrix_server, email, PASSWORD)
            for path in pages_for(role):
                url = matrix_server.url + resolve(db, path)
                response = page.goto(url)
                if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                    continue
                assert page.evaluate("document.documentElement.lang") == lang, (role, path)
                visited += 1
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 640})
                    wide = page.evaluate(MEASURE)
                    if wide:
                        problems.append(f"{role} {path} at {width}px ({lang}): {wide['scrollWidth']}px wide; "
                                        f"{wide['elements']}")
                page.set_viewport_size({"width": WIDTHS[0], "height": 640})
            assert not context.foreign_requests, context.foreign_requests
        finally:
            context.close()
    assert visited > 100, visited  # every role saw its pages
    assert not problems, "\n".join(problems)
