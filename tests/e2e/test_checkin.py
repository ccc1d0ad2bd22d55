"""Check-in at the door in a real browser (product brief, flow 6), with CSRF
switched on: a camera reads a ticket's QR code, the scanner keeps working
offline and sends what it recorded when the network is back, the page works
without JavaScript, and a member shows their ticket and checks themselves in.

The data is made through the app's services in the live server's database: a
seminar whose only session runs now (started ten minutes ago, ends in two
hours, so its check-in window is open), three confirmed members of one MSO,
and a door staff account assigned to the event. Everyone uses the English
interface (their saved language), so answers are matched as English text.

The camera test starts its own Chromium with a fake camera that films a
ticket's QR code (a y4m video drawn with Pillow).
"""
from __future__ import annotations

import io
import time as _time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from ..qr import decode_qr
from .conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from .test_org_registry import assert_pages_had_csp, logout_button

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

EVENT_TITLE = "Seminar Vereinsrecht kompakt"
ORG_NAME = "Afrika-Forum Dortmund e.V."
ONLINE_URL = "https://meet.example.org/vereinsrecht"

DOOR = {"email": "door.keeper@example.org", "name": "Dora Door", "password": "door-keeper-passphrase"}
STAFF = {"email": "office.checkin@example.org", "name": "Otto Office", "password": "office-checkin-passphrase"}
PEOPLE = [
    {"email": "amina.ade@example.org", "name": "Amina Adeyemi", "password": "amina-passphrase-1"},
    {"email": "boris.bauer@example.org", "name": "Boris Bauer", "password": "boris-passphrase-2"},
    {"email": "chen.cao@example.org", "name": "Chen Cao", "password": "chen-passphrase-3"},
]

CAMERA_TIMEOUT_MS = 10_000
SYNC_TIMEOUT_S = 15.0

SCANNER_SCREENSHOT = "/tmp/e2e-scanner-camera.png"
OFFLINE_SCREENSHOT = "/tmp/e2e-scanner-offline.png"
TICKET_SCREENSHOT = "/tmp/e2e-ticket.png"


def log_in(page, live_server, email, password):
    """Log in through the form; where one lands depends on the role (door
    staff at the door), so only the log-out button is awaited."""
    page.goto(f"{live_server.url}/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(password)
    page.locator("main form.form button[type=submit]").click()
    expect(logout_button(page)).to_be_visible()


# --- data ---------------------------------------------------------------------------


def running_session_times(now_utc: datetime):
    """(day, start, end) in Dortmund for a session running now: started ten
    minutes ago, ending in two hours, both on the same local day (a session
    cannot pass midnight; near midnight it is shorter, and the check-in window
    stays open 30 minutes after its end)."""
    from miado_events.timeutil import LOCAL_TZ

    local = now_utc.astimezone(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None)
    midnight = local.replace(hour=0, minute=0)
    start = max(local - timedelta(minutes=10), midnight)
    end = min(local + timedelta(hours=2), midnight.replace(hour=23, minute=59))
    if end <= start:  # the last minute of the day
        start = end - timedelta(minutes=10)
    return local.date(), start.time(), end.time()


@pytest.fixture
def door_world(live_server, make_live_user) -> dict:
    """A seminar running now, three confirmed members of one MSO with their
    tickets, staff, and door staff assigned to the seminar (all English)."""
    return make_door_world(live_server, make_live_user)


def make_door_world(live_server, make_live_user) -> dict:
    """What ``door_world`` holds (for other modules' fixtures)."""
    from miado_events.checkin import self_checkin
    from miado_events.checkin import services as checkin
    from miado_events.checkin import tickets
    from miado_events.database import utcnow
    from miado_events.events import services
    from miado_events.events.registration import register_participant
    from miado_events.events.services import EventData, SessionData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot
    from miado_events.models.orgs import Membership, Organisation

    for person in (DOOR, STAFF, *PEOPLE):
        make_live_user(person["email"], person["name"], person["password"], locale="en")
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff, door = users[STAFF["email"]], users[DOOR["email"]]
        staff.role = Role.STAFF.value
        door.role = Role.DOOR.value
        org = Organisation(name=ORG_NAME, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add(org)
        for person in PEOPLE:
            db.session.add(Membership(organisation=org, user=users[person["email"]], role="member",
                                      status="active"))
        now = utcnow()
        earlier = now - timedelta(days=2)  # registration closes when the session starts
        event = services.create_event(staff, EventData(kind="seminar", title=EVENT_TITLE, capacity=20,
                                                       languages=["de"]), now=earlier)
        day, start, end = running_session_times(now)
        session = services.add_session(staff, event, SessionData(day=day, start=start, end=end,
                                                                 online_url=ONLINE_URL))
        services.publish_event(staff, event, now=earlier)
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == event.id))
        checkin.assign_door_staff(staff, event, door)
        people = []
        for person in PEOPLE:
            user = users[person["email"]]
            outcome = register_participant(user, user, slot, org, now=earlier)
            assert outcome.waitlist_reason is None, outcome
            people.append({**person, "registration": outcome.registration})
        db.session.commit()
        world = {
            "event": event.id,
            "session": session.id,
            "scanner": f"{live_server.url}/door/sessions/{session.id}",
            "self_checkin": f"{live_server.url}/checkin/{session.id}/{self_checkin.self_checkin_code(session)}",
            "people": [{**{k: v for k, v in p.items() if k != "registration"},
                        "registration_id": p["registration"].id,
                        "code": p["registration"].ticket_code,
                        "code_display": p["registration"].ticket_code_display,
                        "ticket_url": tickets.ticket_url(p["registration"])}
                       for p in people],
        }
        db.session.remove()
    return world


def attendance_rows(live_server, session_id: int) -> list[dict]:
    from miado_events.extensions import db
    from miado_events.models.checkin import Attendance

    with live_server.app.app_context():
        rows = [{"registration_id": a.registration_id, "method": a.method, "checked_in_at": a.checked_in_at}
                for a in db.session.scalars(db.select(Attendance).where(Attendance.session_id == session_id)
                                            .order_by(Attendance.registration_id))]
        db.session.remove()
    return rows


def wait_for_attendance(live_server, session_id: int, n: int, timeout: float) -> list[dict]:
    deadline = _time.monotonic() + timeout
    while True:
        rows = attendance_rows(live_server, session_id)
        if len(rows) >= n or _time.monotonic() > deadline:
            return rows
        _time.sleep(0.1)


def answer(page):
    return page.locator("#answer")


def wait_for_roster(page, name: str) -> None:
    """The scanner script has loaded the list (it then shows the network
    status), and typing a name shows a "Check in" button from it. The search
    box is emptied again."""
    expect(page.locator("#network-status")).to_be_visible()
    page.locator("#q").fill(name)
    expect(page.locator("#search-results button", has_text="Check in")).to_have_count(1)
    page.locator("#q").fill("")


def check_in_by_name(page, name: str) -> None:
    page.locator("#q").fill(name)
    page.locator("#search-results li", has_text=name).locator("button", has_text="Check in").click()


def check_in_by_code(page, code: str) -> None:
    page.locator("#code").fill(code)
    page.locator("#code-form button[type=submit]").click()


class ConsoleLog:
    """What a page wrote to its console, its script errors, and the requests
    the server refused (the browser reports those on the console too)."""

    def __init__(self):
        self.lines: list[str] = []
        self.refused: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda msg: self.lines.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.lines.append(f"pageerror: {err}"))
        page.on("response", lambda r: self.refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def problems(self) -> list[str]:
        """Script errors, and refused requests other than the favicon (there is none)."""
        errors = [line for line in self.lines if line.startswith(("error:", "pageerror:"))
                  and "Failed to load resource" not in line]
        return errors + [r for r in self.refused if not r.endswith("/favicon.ico")]


def assert_only_live_server(urls, live_server) -> None:
    foreign = [url for url in urls
               if urlsplit(url).scheme not in {"data", "about", "blob", "chrome-extension"}
               and urlsplit(url).netloc != live_server.netloc]
    assert not foreign, f"the page contacted other hosts than {live_server.netloc}: {foreign}"


# --- browser contexts this file needs ---------------------------------------------------


def make_camera_video(ticket_url: str, folder) -> str:
    """A 4-second y4m video of the ticket's QR code (with its quiet zone,
    about 440 px) in the middle of a white 640x480 frame.

    y4m is raw video: a header line, then per frame ``FRAME`` and the Y, Cb
    and Cr planes (4:2:0, so the colour planes at half width and height).
    Pillow draws the planes; no video tool is needed."""
    from PIL import Image

    from miado_events.checkin import tickets

    qr = Image.open(io.BytesIO(tickets.qr_png(ticket_url))).convert("RGB")
    qr = qr.resize((440, 440), Image.NEAREST)
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - 440) // 2, (480 - 440) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    y4m = folder / "qr.y4m"
    fps, seconds = 10, 4
    with open(y4m, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F%d:1 Ip A1:1 C420jpeg\n" % fps)
        for _ in range(fps * seconds):
            video.write(b"FRAME\n" + planes)
    return str(y4m)


@pytest.fixture
def camera_browser(browser, live_server, tmp_path):
    """Factory: a Chromium of its own (a persistent context) whose camera
    films ``y4m``. Closed at teardown; fails if a page contacted another host."""
    opened = []
    requests: list[str] = []

    def launch(y4m: str):
        context = browser.browser_type.launch_persistent_context(
            user_data_dir=str(tmp_path / "camera-profile"),
            executable_path=CHROMIUM,
            headless=False,
            locale="en-GB",
            args=["--headless=new", *CHROMIUM_ARGS,
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={y4m}",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        opened.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("request", lambda request: requests.append(request.url))
        return context

    yield launch
    for context in opened:
        context.close()
    assert_only_live_server(requests, live_server)


@pytest.fixture
def nojs_page(browser, live_server, traffic):
    """A page with JavaScript switched off, recorded in ``traffic``."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("request", lambda request: traffic.requests.append(request.url))
    page.on("response", lambda response: traffic.responses.append(response))
    try:
        yield page
    finally:
        context.close()
    assert_only_live_server(traffic.requests, live_server)


@pytest.fixture
def server_requests(live_server):
    """The paths the live server is asked for, whoever asks (page or
    service worker), recorded inside the app."""
    seen: list[str] = []
    app = live_server.app
    inner = app.wsgi_app

    def recording(environ, start_response):
        seen.append(f'{environ["REQUEST_METHOD"]} {environ.get("PATH_INFO", "")}')
        return inner(environ, start_response)

    app.wsgi_app = recording
    try:
        yield seen
    finally:
        app.wsgi_app = inner


# --- the tests ----------------------------------------------------------------------


def test_camera_reads_a_ticket_and_a_second_scan_says_already_checked_in(camera_browser, live_server,
                                                                          door_world, tmp_path):
    person = door_world["people"][0]
    y4m = make_camera_video(person["ticket_url"], tmp_path)
    context = camera_browser(y4m)
    console = ConsoleLog()
    page = context.pages[0] if context.pages else context.new_page()
    console.watch(page)

    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    expect(page.locator("main h1")).to_have_text(EVENT_TITLE)
    expect(page.locator("#camera")).to_be_visible()
    expect(page.locator("#count-checked-in")).to_have_text("0")
    expect(page.locator("#count-confirmed")).to_have_text("3")
    assert page.evaluate("window.isSecureContext") is True

    page.locator("#camera-start").click()
    expect(page.locator("#camera-stop")).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    expect(answer(page)).to_have_class("answer answer-green", timeout=CAMERA_TIMEOUT_MS)
    expect(answer(page)).to_contain_text(f"Welcome, {person['name']}!")
    expect(answer(page)).to_contain_text(ORG_NAME)
    expect(page.locator("#count-checked-in")).to_have_text("1")
    page.screenshot(path=SCANNER_SCREENSHOT, full_page=True)

    rows = attendance_rows(live_server, door_world["session"])
    assert [(r["registration_id"], r["method"]) for r in rows] == [(person["registration_id"], "scan")], rows

    # The same code stays in front of the camera; 4 seconds later it is read again.
    expect(answer(page)).to_have_class("answer answer-amber", timeout=CAMERA_TIMEOUT_MS)
    expect(answer(page)).to_contain_text(f"{person['name']} is already checked in (since ")
    rows = attendance_rows(live_server, door_world["session"])
    assert [(r["registration_id"], r["method"]) for r in rows] == [(person["registration_id"], "scan")], rows
    expect(page.locator("#count-checked-in")).to_have_text("1")
    assert not console.problems(), console.lines


def test_offline_check_ins_are_sent_when_the_network_is_back(page, live_server, door_world, traffic):
    console = ConsoleLog()
    console.watch(page)
    first, second, third = door_world["people"]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, first["name"])
    expect(page.locator("#network-status")).to_have_text("Online")

    page.context.set_offline(True)
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")

    # By name from the stored list.
    check_in_by_name(page, first["name"])
    expect(answer(page)).to_have_class("answer answer-green")
    expect(answer(page)).to_contain_text(f"Welcome, {first['name']}!")
    expect(answer(page)).to_contain_text("Saved offline")
    expect(page.locator("#network-status")).to_have_text("Offline — 1 waiting to sync")

    # By ticket code, typed as printed (with the dash) and in lower case.
    check_in_by_code(page, second["code_display"].lower())
    expect(answer(page)).to_contain_text(f"Welcome, {second['name']}!")
    expect(answer(page)).to_have_class("answer answer-green")
    expect(page.locator("#network-status")).to_have_text("Offline — 2 waiting to sync")

    check_in_by_code(page, third["code"])
    expect(answer(page)).to_contain_text(f"Welcome, {third['name']}!")
    expect(answer(page)).to_have_class("answer answer-green")
    expect(page.locator("#network-status")).to_have_text("Offline — 3 waiting to sync")
    expect(page.locator("#count-checked-in")).to_have_text("3")

    # Offline, a second attempt is answered from the list too.
    check_in_by_code(page, first["code"])
    expect(answer(page)).to_have_class("answer answer-amber")
    expect(answer(page)).to_contain_text(f"{first['name']} is already checked in")
    expect(page.locator("#network-status")).to_have_text("Offline — 3 waiting to sync")
    page.screenshot(path=OFFLINE_SCREENSHOT, full_page=True)

    assert attendance_rows(live_server, door_world["session"]) == []

    page.context.set_offline(False)
    rows = wait_for_attendance(live_server, door_world["session"], 3, SYNC_TIMEOUT_S)
    assert sorted((r["registration_id"], r["method"]) for r in rows) == sorted(
        (p["registration_id"], "sync") for p in door_world["people"]), rows
    # The scanner says that it sent them (checked at the end, so that a
    # failure here does not hide the rest).
    later = []
    try:
        expect(page.locator("#network-status")).to_have_text("3 check-ins sent.", timeout=3_000)
    except AssertionError:
        shown = page.locator("#network-status").text_content()
        later.append(f"after the sync #network-status says {shown!r}, not '3 check-ins sent.'")
    # Nothing more arrives later (the queue is empty).
    _time.sleep(0.5)
    assert len(attendance_rows(live_server, door_world["session"])) == 3

    page.reload()
    expect(page.locator("#count-checked-in")).to_have_text("3")
    expect(page.locator("#count-confirmed")).to_have_text("3")
    expect(page.locator("#recent-list li")).to_have_count(3)
    expect(page.locator("#network-status")).to_have_text("Online")
    assert len(attendance_rows(live_server, door_world["session"])) == 3
    assert not console.problems(), console.lines
    assert not later, later
    assert_pages_had_csp(traffic, live_server)


def test_scanner_page_reloads_offline_from_the_service_worker(page, live_server, door_world,
                                                              server_requests):
    console = ConsoleLog()
    console.watch(page)
    person = door_world["people"][1]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, person["name"])
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/door/"
    # The page itself is stored for offline use (in whichever cache).
    deadline = _time.monotonic() + TIMEOUT_MS / 1000
    while not page.evaluate("caches.match(location.href).then(hit => !!hit)"):
        if _time.monotonic() < deadline:
            _time.sleep(0.1)
            continue
        stored = page.evaluate("""async () => {
            const out = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) out.push(request.url);
            }
            return out;
        }""")
        pytest.fail(f"after the first visit online the scanner page is not in the service worker's "
                    f"cache, so it cannot be reloaded offline; cached: {stored}", pytrace=False)

    page.context.set_offline(True)
    server_requests.clear()
    response = page.reload()
    assert response is not None and response.ok, response
    assert response.from_service_worker, "the reloaded page did not come from the service worker"
    assert not [r for r in server_requests if r.startswith("GET /door/sessions/")], server_requests
    expect(page.locator("main h1")).to_have_text(EVENT_TITLE)
    expect(page.locator("#camera")).to_be_visible()  # the script ran (from the cache too)
    # It has read its stored list and knows it is offline.
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")

    check_in_by_code(page, person["code"])
    expect(answer(page)).to_have_class("answer answer-green")
    expect(answer(page)).to_contain_text(f"Welcome, {person['name']}!")
    expect(page.locator("#network-status")).to_have_text("Offline — 1 waiting to sync")
    assert attendance_rows(live_server, door_world["session"]) == []

    page.context.set_offline(False)
    rows = wait_for_attendance(live_server, door_world["session"], 1, SYNC_TIMEOUT_S)
    assert [(r["registration_id"], r["method"]) for r in rows] == [(person["registration_id"], "sync")], rows
    assert not console.problems(), console.lines


def test_manual_check_in_and_undo_without_javascript(nojs_page, live_server, door_world, traffic):
    page = nojs_page
    person = door_world["people"][2]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    expect(page.locator("#camera")).to_be_hidden()
    expect(answer(page)).to_be_hidden()

    page.locator("#q").fill(person["name"].split()[0])
    page.locator("#search-form button[type=submit]").click()
    match = page.locator("#search-results li", has_text=person["name"])
    expect(match).to_have_count(1)
    expect(match).to_contain_text(person["code_display"])
    match.locator("button", has_text="Check in").click()

    expect(answer(page)).to_be_visible()
    expect(answer(page)).to_have_class("answer answer-green")
    expect(answer(page)).to_contain_text(f"Welcome, {person['name']}!")
    expect(page.locator("#count-checked-in")).to_have_text("1")
    rows = attendance_rows(live_server, door_world["session"])
    assert [(r["registration_id"], r["method"]) for r in rows] == [(person["registration_id"], "manual")], rows

    answer(page).locator("button", has_text="Undo this check-in").click()
    expect(answer(page)).to_have_class("answer answer-amber")
    expect(answer(page)).to_contain_text(f"Check-in of {person['name']} taken back.")
    expect(page.locator("#count-checked-in")).to_have_text("0")
    assert attendance_rows(live_server, door_world["session"]) == []
    assert_pages_had_csp(traffic, live_server)


def test_member_shows_ticket_and_checks_in_herself(page, live_server, door_world, traffic):
    person = door_world["people"][0]
    log_in(page, live_server, person["email"], person["password"])
    page.locator('header a[href="/my/registrations"]').click()
    expect(page).to_have_url(f"{live_server.url}/my/registrations")
    entry = page.locator('main section[aria-labelledby="upcoming-heading"] .org-list > li').filter(
        has=page.locator(f'h3 a[href="/events/{door_world["event"]}"]'))
    expect(entry).to_have_count(1)
    entry.locator("a", has_text="Show ticket").click()
    expect(page).to_have_url(f"{live_server.url}/my/registrations/{person['registration_id']}/ticket")

    qr = page.locator("main img.ticket-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    assert qr.evaluate("img => img.naturalWidth") > 0
    expect(page.locator("main .ticket-code")).to_have_text(person["code_display"])
    expect(page.locator("main")).to_contain_text(person["name"])
    page.screenshot(path=TICKET_SCREENSHOT, full_page=True)
    # The image is the ticket's QR code, read back as a camera would.
    png = page.request.get(qr.evaluate("img => img.src"))
    assert png.ok and png.headers["content-type"] == "image/png"
    assert decode_qr(png.body()) == person["ticket_url"]

    page.goto(door_world["self_checkin"])
    page.locator("main form button[type=submit]", has_text="Check me in").click()
    result = page.locator("main .answer")
    expect(result).to_have_class("answer answer-green")
    expect(result).to_contain_text(f"Welcome, {person['name']}!")
    rows = attendance_rows(live_server, door_world["session"])
    assert [(r["registration_id"], r["method"]) for r in rows] == [(person["registration_id"], "self")], rows
    assert_pages_had_csp(traffic, live_server)
