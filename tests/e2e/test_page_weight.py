"""Page weight on a first visit: what a phone on a slow network downloads.

Budgets (issue "Every person can use it"): the calendar page under 100 KB,
the door scanner page under 300 KB — HTML, CSS, JavaScript, fonts, images,
data, everything its first load fetches.

What is counted, and how:

- A fresh browser context each time: empty HTTP cache, no service worker, no
  IndexedDB, no Cache Storage. The scanner needs a logged-in door person;
  the log-in happens in another context, and only its cookies are carried
  over, so the log-in page's CSS is not in the measured context's cache.
- The page's requests: the DevTools protocol (``Network.loadingFinished``'s
  ``encodedDataLength``: bytes over the wire, compressed as sent, response
  headers included). A response the page got from its service worker counts
  nothing on the page's side (the worker's own fetch carries those bytes).
- The service worker's requests (its script is the page's; what it stores
  for offline use — CSS, scripts, the page itself — are the worker's): the
  worker runs in a target of its own, whose network the page's DevTools
  session does not see. Playwright reports them on the context
  (``request.service_worker``); they count with ``request.sizes()`` (the
  response's headers plus its encoded body: the same figure).
- The first load lasts until the page has loaded, the network has been
  quiet for a moment, and — for the scanner — its service worker is active,
  has stored the page and its assets, and the attendee list (roster) is in
  IndexedDB. Requests the scanner repeats every 10 seconds afterwards
  (counts, sync) are no part of the first load: should a slow machine
  reach the first of them, it is listed but not counted.

The figures are printed, request by request (run pytest with ``-s``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


from .conftest import DEMO_PASSWORD, demo_email, log_in_as, new_recorded_context

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

KB = 1024
CALENDAR_BUDGET = 100 * KB
SCANNER_BUDGET = 300 * KB
QUIET_SECONDS = 0.75  # no request in flight for this long: the load is over


@dataclass
class Transfer:
    url: str
    kind: str
    status: int
    bytes: int
    source: str  # "page" (DevTools) or "service worker" (Playwright)
    encoding: str = ""


@dataclass
class Meter:
    """Everything one context transfers: the page's requests through its own
    DevTools session, the service worker's through Playwright."""
    transfers: list[Transfer] = field(default_factory=list)
    pending: dict = field(default_factory=dict)   # DevTools requestId -> response info
    in_flight: set = field(default_factory=set)
    failed: list[str] = field(default_factory=list)
    last_activity: float = field(default_factory=time.monotonic)

    def attach(self, context, page) -> None:
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.send("Network.enable")
        self.cdp = cdp
        context.on("request", self._sw_request)
        context.on("requestfinished", self._sw_finished)
        context.on("requestfailed", self._sw_failed)

    # --- the page's requests (DevTools) ---
    def _touch(self) -> None:
        self.last_activity = time.monotonic()

    def _sent(self, event) -> None:
        self.in_flight.add(event["requestId"])
        self.pending.setdefault(event["requestId"], {"url": event["request"]["url"],
                                                     "kind": event.get("type", "")})
        self._touch()

    def _response(self, event) -> None:
        response = event["response"]
        info = self.pending.setdefault(event["requestId"], {"url": response["url"]})
        info.update(kind=event.get("type", info.get("kind", "")), status=response["status"],
                    from_sw=response.get("fromServiceWorker", False),
                    encoding={k.lower(): v for k, v in response.get("headers", {}).items()}
                    .get("content-encoding", ""))
        self._touch()

    def _finished(self, event) -> None:
        info = self.pending.pop(event["requestId"], {"url": "?"})
        self.in_flight.discard(event["requestId"])
        size = 0 if info.get("from_sw") else int(event["encodedDataLength"])
        self.transfers.append(Transfer(info["url"], info.get("kind", ""), info.get("status", 0), size,
                                       "page" + (" (from its service worker)" if info.get("from_sw") else ""),
                                       info.get("encoding", "")))
        self._touch()

    def _failed(self, event) -> None:
        info = self.pending.pop(event["requestId"], {"url": "?"})
        self.in_flight.discard(event["requestId"])
        if not event.get("canceled"):
            self.failed.append(f"{info['url']}: {event.get('errorText')}")
        self._touch()

    # --- the service worker's requests (Playwright) ---
    def _sw_request(self, request) -> None:
        if request.service_worker is not None:
            self.in_flight.add(id(request))
            self._touch()

    def _sw_finished(self, request) -> None:
        if request.service_worker is None:
            return
        self.in_flight.discard(id(request))
        sizes = request.sizes()
        response = request.response()
        self.transfers.append(Transfer(
            request.url, request.resource_type, response.status if response else 0,
            sizes["responseHeadersSize"] + sizes["responseBodySize"], "service worker",
            (response.headers.get("content-encoding", "") if response else "")))
        self._touch()

    def _sw_failed(self, request) -> None:
        if request.service_worker is not None:
            self.in_flight.discard(id(request))
            self.failed.append(f"{request.url} (service worker): {request.failure}")
            self._touch()

    # --- results ---
    def settle(self, page, quiet: float = QUIET_SECONDS, timeout: float = 8.0) -> None:
        """Wait until nothing has been in flight for ``quiet`` seconds.
        (Playwright delivers events while the page is being waited on.)"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if not self.in_flight and time.monotonic() - self.last_activity >= quiet:
                return
        raise AssertionError(f"the network did not go quiet within {timeout}s: "
                             f"{len(self.in_flight)} requests in flight")

    @property
    def counted(self) -> list[Transfer]:
        return [t for t in self.transfers if not is_polling(t.url)]

    @property
    def total(self) -> int:
        return sum(t.bytes for t in self.counted)

    def report(self, name: str, base: str, budget: int) -> str:
        lines = [f"{name}: {self.total:,} bytes ({self.total / KB:.1f} KB) in {len(self.counted)} "
                 f"requests; budget {budget / KB:.0f} KB"]
        for t in sorted(self.transfers, key=lambda t: -t.bytes):
            url = t.url.removeprefix(base)
            note = "  (repeated polling: not counted)" if is_polling(t.url) else ""
            lines.append(f"  {t.bytes:>8,}  {t.status:>3} {t.kind:<12} {t.encoding or '-':<5} "
                         f"{t.source:<15} {url[:90]}{note}")
        return "\n".join(lines)


def is_polling(url: str) -> bool:
    """What the scanner asks every 10 seconds once it runs (no part of the first load)."""
    path = urlsplit(url).path
    return path.startswith("/door/api/") and path.endswith(("/counts", "/sync"))


def measure_first_load(context, url: str, ready=None) -> Meter:
    page = context.new_page()
    meter = Meter()
    meter.attach(context, page)
    response = page.goto(url, wait_until="load")
    assert response.status == 200, f"{url} answered {response.status}"
    if ready:
        ready(page)
    meter.settle(page)
    assert not meter.failed, f"requests failed during the first load: {meter.failed}"
    return meter


def scanner_ready(page) -> None:
    """The scanner has done what a first visit does: its service worker is
    active and has stored the page and its assets, the attendee list is
    in IndexedDB."""
    page.wait_for_function("""async () => {
        const reg = await navigator.serviceWorker.getRegistration('/door/');
        if (!reg || !reg.active || reg.active.state !== 'activated') return false;
        const urls = [];  // the door's caches: its pages and its versioned assets
        for (const name of (await caches.keys()).filter(n => n.startsWith('miado-door-'))) {
            urls.push(...(await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname));
        }
        if (!urls.includes(location.pathname) || !urls.includes('/static/js/scanner.js')) return false;
        return await new Promise(resolve => {
            const open = indexedDB.open('miado-door');
            open.onerror = () => resolve(false);
            open.onsuccess = () => {
                const db = open.result;
                if (!db.objectStoreNames.contains('rosters')) { db.close(); resolve(false); return; }
                const get = db.transaction('rosters').objectStore('rosters').count();
                get.onsuccess = () => { db.close(); resolve(get.result > 0); };
                get.onerror = () => { db.close(); resolve(false); };
            };
        });
    }""", polling=100, timeout=8_000)


def calendar_listed(page) -> None:
    """The demo's events are on the page (a realistic calendar, not an empty one)."""
    links = page.locator('main .org-list a[href^="/events/"]')
    expect(links.first).to_be_visible()
    assert links.count() >= 5, f"only {links.count()} events in the calendar"


def cafe_session_id(server) -> int:
    from sqlalchemy import select

    from miado_events import demo
    from miado_events.extensions import db
    from miado_events.models.events import Event

    with server.app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == demo.CHECKIN_TITLE))
        session_id = event.sessions[0].id
        db.session.remove()
    return session_id


def test_calendar_first_load_is_under_100_kb(browser, demo_server):
    context = new_recorded_context(browser, demo_server)
    try:
        meter = measure_first_load(context, f"{demo_server.url}/calendar", calendar_listed)
    finally:
        context.close()
    print("\n" + meter.report("calendar", demo_server.url, CALENDAR_BUDGET))
    kinds = {t.kind for t in meter.transfers}
    assert {"Document", "Stylesheet"} <= kinds, f"the measurement missed the page or its CSS: {kinds}"
    assert not context.foreign_requests, f"requests to other hosts: {context.foreign_requests}"
    assert meter.total < CALENDAR_BUDGET, meter.report("calendar", demo_server.url, CALENDAR_BUDGET)


def test_scanner_first_load_is_under_300_kb(browser, demo_server):
    from miado_events.extensions import limiter

    session_id = cafe_session_id(demo_server)
    login = new_recorded_context(browser, demo_server)
    try:
        limiter.reset()
        log_in_as(login.new_page(), demo_server, demo_email("door"), DEMO_PASSWORD)
        cookies = login.cookies()
    finally:
        login.close()

    context = new_recorded_context(browser, demo_server)  # empty cache, only the cookies
    context.add_cookies(cookies)
    try:
        meter = measure_first_load(context, f"{demo_server.url}/door/sessions/{session_id}", scanner_ready)
    finally:
        context.close()
    print("\n" + meter.report("scanner", demo_server.url, SCANNER_BUDGET))
    paths = {urlsplit(t.url).path for t in meter.transfers}
    assert f"/door/api/sessions/{session_id}/roster" in paths, "the attendee list was not counted"
    assert any(t.source == "service worker" for t in meter.transfers), \
        "the service worker's downloads were not counted"
    assert not context.foreign_requests, f"requests to other hosts: {context.foreign_requests}"
    assert meter.total < SCANNER_BUDGET, meter.report("scanner", demo_server.url, SCANNER_BUDGET)
