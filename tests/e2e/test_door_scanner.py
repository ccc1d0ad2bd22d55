"""The door scanner's robustness in a real browser: a deploy that changes the
scanner's script reaches a door phone that has the old one cached, a ticket
whose signature is spelt differently is refused offline, a check-in that
could not be stored is never shown as green, a server that does not answer
in time does not hang the scanner, and after a sync every refusal is listed.

Uses the seminar running now and the door account of ``test_checkin``."""
from __future__ import annotations

import shutil
import time as _time

import pytest

from .test_checkin import (
    DOOR,
    ConsoleLog,
    answer,
    attendance_rows,
    check_in_by_code,
    check_in_by_name,
    log_in,
    make_door_world,
    wait_for_attendance,
    wait_for_roster,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def door_caches(page) -> list[str]:
    """The versioned caches of the door's static files (pages have their own)."""
    return page.evaluate("caches.keys().then(keys => keys.filter("
                         "k => k.startsWith('miado-door-') && k !== 'miado-door-pages'))")


def wait_until(check, timeout: float = 10.0, what: str = "") -> None:
    deadline = _time.monotonic() + timeout
    while not check():
        if _time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}", pytrace=False)
        _time.sleep(0.1)


@pytest.fixture
def door_world(live_server, make_live_user) -> dict:
    return make_door_world(live_server, make_live_user)


@pytest.fixture
def deployable_static(live_server, tmp_path):
    """The live server serves its static files from a copy that the test may
    change, as a deploy does."""
    app = live_server.app
    original = app.static_folder
    copy = tmp_path / "static"
    shutil.copytree(original, copy)
    app.static_folder = str(copy)
    try:
        yield copy
    finally:
        app.static_folder = original


def test_a_deployed_change_of_the_scanner_script_reaches_a_door_phone(page, live_server, door_world,
                                                                      deployable_static):
    person = door_world["people"][0]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, person["name"])
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(lambda: page.evaluate("!!navigator.serviceWorker.controller") or page.reload() and False,
               what="the service worker controls the scanner page")
    wait_until(lambda: len(door_caches(page)) == 1, what="one door cache")
    [first_cache] = door_caches(page)
    page.reload()
    wait_for_roster(page, person["name"])
    assert page.evaluate("window.__doorBuild === undefined")

    # The deploy: a new scanner script (new content, so a new ?v= fingerprint).
    script = deployable_static / "js" / "scanner.js"
    script.write_text(script.read_text(encoding="utf-8") + '\nwindow.__doorBuild = "second";\n',
                      encoding="utf-8")

    page.reload()
    wait_for_roster(page, person["name"])
    assert page.evaluate("window.__doorBuild") == "second", \
        "after the deploy the door page still ran the old scanner script"
    # The new worker keeps the new files under a new name and drops the old cache.
    wait_until(lambda: door_caches(page) not in ([], [first_cache]) and len(door_caches(page)) == 1,
               what="a new door cache replacing the old one")
    # Offline too, the page runs the new script.
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")
    assert page.evaluate("window.__doorBuild") == "second"
    page.context.set_offline(False)


def test_a_ticket_with_a_respelt_signature_is_not_valid_offline(page, live_server, door_world):
    person = door_world["people"][1]
    url = person["ticket_url"]
    last = B64URL.index(url[-1])
    respelt = url[:-1] + next(c for c in B64URL if B64URL.index(c) >> 4 == last >> 4 and c != url[-1])
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, person["name"])
    page.context.set_offline(True)
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")
    check_in_by_code(page, respelt)
    expect(answer(page)).to_have_class("answer answer-red")
    expect(answer(page)).to_contain_text("Not a valid ticket.")
    # The genuine ticket is still let in.
    check_in_by_code(page, url)
    expect(answer(page)).to_have_class("answer answer-green")
    page.context.set_offline(False)


def test_a_check_in_that_could_not_be_stored_is_never_green(page, live_server, door_world):
    person = door_world["people"][2]
    page.add_init_script("""
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function () {
            if (this.name === "queue") { throw new DOMException("The disk is full.", "QuotaExceededError"); }
            return put.apply(this, arguments);
        };
    """)
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, person["name"])
    page.context.set_offline(True)
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")
    check_in_by_name(page, person["name"])
    expect(answer(page)).to_have_class("answer answer-red")
    expect(answer(page)).to_contain_text("could not be saved on this device")
    expect(page.locator("#count-checked-in")).to_have_text("0")
    page.context.set_offline(False)


def test_a_server_that_does_not_answer_in_time_does_not_hang_the_scanner(page, live_server, door_world):
    console = ConsoleLog()
    console.watch(page)
    person = door_world["people"][0]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, person["name"])
    stalled = []
    # A weak connection: the browser is "online" but the check-in request never returns.
    page.route("**/door/api/sessions/*/sync", lambda route: stalled.append(route))
    check_in_by_name(page, person["name"])
    expect(answer(page)).to_have_class("answer answer-green", timeout=8_000)
    expect(answer(page)).to_contain_text("Saved offline")
    assert stalled, "the check-in was not sent to the server first"
    assert attendance_rows(live_server, door_world["session"]) == []
    # The connection recovers: the queued check-in is sent (once).
    page.unroute("**/door/api/sessions/*/sync")
    # (A queued batch waits up to four times as long as one scan for its answer.)
    rows = wait_for_attendance(live_server, door_world["session"], 1, 35.0)
    assert [r["registration_id"] for r in rows] == [person["registration_id"]]


def test_after_a_sync_every_refusal_is_listed(page, live_server, door_world):
    from miado_events.database import utcnow
    from miado_events.events.registration import cancel_registration
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    first, second, _third = door_world["people"]
    log_in(page, live_server, DOOR["email"], DOOR["password"])
    page.goto(door_world["scanner"])
    wait_for_roster(page, first["name"])
    page.context.set_offline(True)
    expect(page.locator("#network-status")).to_have_text("Offline — 0 waiting to sync")
    check_in_by_name(page, first["name"])
    expect(answer(page)).to_have_class("answer answer-green")
    check_in_by_name(page, second["name"])
    expect(page.locator("#network-status")).to_have_text("Offline — 2 waiting to sync")
    # Meanwhile the office cancels the first person's registration.
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.role == "staff"))
        cancel_registration(staff, db.session.get(Registration, first["registration_id"]), now=utcnow())
        db.session.commit()
        db.session.remove()
    page.context.set_offline(False)
    rows = wait_for_attendance(live_server, door_world["session"], 1, 15.0)
    assert [r["registration_id"] for r in rows] == [second["registration_id"]]
    problems = page.locator("#sync-problems li")
    expect(problems).to_have_count(1, timeout=8_000)
    expect(problems.first).to_contain_text(first["name"])
    expect(problems.first).to_contain_text("cancelled registration")
    expect(page.locator("#network-status")).to_contain_text("1 not let in")
