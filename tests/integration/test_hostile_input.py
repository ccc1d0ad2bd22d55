"""Hostile input, everywhere: no 5xx, on SQLite and on PostgreSQL.

The forms are taken from the app itself: every page of the permission
matrix's world is fetched (as anonymous and as each signed-in role that
reaches it; door staff and admins only where staff cannot), and every
``<form>`` on it — and every link with a query string — is sent again with
each field in turn replaced by hostile values (oversized, zero, negative and
non-numeric ids; NUL and other control bytes; invalid UTF-8; 100,000
characters), as the first role that saw it. A new page with a form is covered
without touching this file. The door scanner's JSON body is attacked key by
key and whole (nesting 5,000 deep, invalid UTF-8, escaped NULs); URL path
segments get the same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from miado_events.database import utcnow
from miado_events.extensions import limiter

from miado_events.models.events import Event, EventSession, Slot
from miado_events.models.orgs import Membership

from ..conftest import PASSWORD
from .test_permission_matrix import (  # noqa: F401  (fixtures are used by name)
    ADMIN,
    ANON,
    DOOR,
    LISTED,
    MEMBER,
    OTHERS_MEMBERSHIP,
    REP,
    ROUTES,
    SEMINAR,
    STAFF,
    TODAY,
    TODAY_SESSION,
    resolve,
    role_client,
    world,
)

HOSTILE_IDS = ["99999999999999999999", "-1", "0", "abc"]
HOSTILE_BYTES = ["a\x00b", "\x01\x08\x1b", b"\xff\xfe\xc3("]
LONG = "x" * 100_000
HOSTILE = [*HOSTILE_IDS, *HOSTILE_BYTES, LONG]
# A field that offers no number (a name, a description, a choice of words)
# carries no id; it gets one number too large for any column, and the rest.
HOSTILE_FOR_TEXT = [HOSTILE_IDS[0], *HOSTILE_BYTES, LONG]
# Roles whose pages are fetched for forms, in this order; a form is sent as
# the first of them that saw it. Door staff and admins see what staff see,
# except on their own pages.
FETCH_AS = [ANON, MEMBER, REP, DOOR, STAFF, ADMIN]
# A page the matrix does not list: a second seminar (added below), where
# REP may still register a member of LISTED.
OPEN_SEMINAR = 5
EXTRA_PAGES = [("GET", f"/events/{OPEN_SEMINAR}", "events.detail", {ANON: 200, MEMBER: 200, REP: 200})]


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # baseline name/value pairs
    names: list[str] = field(default_factory=list)               # every field name, once
    kinds: dict[str, set[str]] = field(default_factory=dict)     # name -> input types seen

    options: dict[str, list[str]] = field(default_factory=dict)  # name -> values offered

    def id_fields(self) -> list[str]:
        """Fields whose offered values are ids: choices of "12" (or "3:12" for
        an MSO and a person), or a hidden "…id" field ("remove=1" is a flag,
        "version=0" a count, a number field holds an amount)."""
        return [name for name in self.names if name != "csrf_token" and "number" not in self.kinds[name]
                and (values := [v for v in self.options.get(name, []) if v])
                and all(v.replace(":", "", 1).isdigit() for v in values)
                and (self.kinds[name] != {"hidden"} or name.endswith("id"))]

    def hostile_values(self, name: str) -> list:
        numeric = "number" in self.kinds[name] or any(
            v.replace(":", "", 1).lstrip("-").isdigit() for v in self.options.get(name, []))
        return HOSTILE if numeric else HOSTILE_FOR_TEXT

    def key(self, app):
        """Forms of one endpoint with the same fields are one form (the edit
        forms of two MSOs, say)."""
        path = urlsplit(self.action).path
        try:
            endpoint, _ = app.url_map.bind("localhost").match(path, method=self.method)
        except Exception:  # noqa: BLE001 -- a form posting to nowhere is still sent
            endpoint = path
        return self.method, endpoint, tuple(sorted(self.names))


class FormCollector(HTMLParser):
    """Every <form> of a page with its fields and the values it would send."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self.textarea: tuple[str, list[str]] | None = None
        self.submitted = False

    @staticmethod
    def form_link_field(link: Form, name: str, value: str) -> None:
        if name not in link.names:
            link.names.append(name)
        link.kinds.setdefault(name, set()).add("link")
        link.options.setdefault(name, []).append(value)
        link.fields.append((name, value))

    def add_name(self, name, kind):
        if self.form is not None and name:
            if name not in self.form.names:
                self.form.names.append(name)
            self.form.kinds.setdefault(name, set()).add(kind)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "?" in (a.get("href") or ""):
            # A link with a query string is a form too (filters, a session
            # to export, the page number): its parameters are its fields.
            url = urlsplit(urljoin(self.page_url, a["href"]))
            if url.netloc in ("", "localhost"):
                link = Form(method="GET", action=url.path)
                for name, value in parse_qsl(url.query, keep_blank_values=True):
                    self.form_link_field(link, name, value)
                self.forms.append(link)
            return
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self.form = Form(method=(a.get("method") or "get").upper(), action=action)
            self.submitted = False
            return
        if self.form is None:
            return
        name = a.get("name")
        kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
        if tag in ("input", "button") and name:
            self.add_name(name, kind)
            if kind in ("hidden", "radio", "checkbox", "number"):
                self.form.options.setdefault(name, []).append(a.get("value", "on"))
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "image"):
                if not self.submitted:  # the first button, as a browser would
                    self.form.fields.append((name, a.get("value", "")))
                    self.submitted = True
            elif kind != "file":
                self.form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.add_name(name, "select")
            self.select = (name, [], [])
        elif tag == "option" and self.select is not None:
            self.select[1].append(a.get("value", ""))
            if "selected" in a:
                self.select[2].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.add_name(name, "textarea")
            self.textarea = (name, [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None and self.form is not None:
            name, options, selected = self.select
            self.form.options.setdefault(name, []).extend(options)
            for value in selected or options[:1]:
                self.form.fields.append((name, value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append((self.textarea[0], "".join(self.textarea[1]).lstrip("\n")))
            self.textarea = None
        elif tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None


def forms_of(url: str, html: str) -> list[Form]:
    collector = FormCollector(url)
    collector.feed(html)
    return collector.forms


IN_A_MONTH = (utcnow() + timedelta(days=30)).date().isoformat()
# What a person would type into an empty field of each kind, so that the
# hostile value of another field is not just refused for a missing one.
FILLERS = {"email": "hostile-test@example.org", "password": PASSWORD, "date": IN_A_MONTH, "time": "10:00",
           "datetime-local": f"{IN_A_MONTH}T10:00", "number": "1", "url": "https://example.org/",
           "tel": "0231 123456", "text": "Test", "search": "Test", "textarea": "Test"}


def with_value(form: Form, name: str, value, *, fill: bool = True) -> list[tuple[str, object]]:
    """The form's baseline, its empty fields filled in, with every value of
    ``name`` replaced by ``value``."""
    pairs = []
    for n, v in form.fields:
        if n == name:
            continue
        if fill and v == "" and len(form.kinds.get(n, ())) == 1:
            v = FILLERS.get(next(iter(form.kinds[n])), v)
        pairs.append((n, v))
    return [*pairs, (name, value)]


def send(client, form: Form, pairs):
    body = urlencode(pairs)
    split = urlsplit(form.action)
    if form.method == "GET":
        return client.get(f"{split.path}?{body}")
    return client.open(f"{split.path}?{split.query}" if split.query else split.path, method=form.method,
                       data=body.encode("ascii"), content_type="application/x-www-form-urlencoded")


def is_signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def readable_value(value) -> str:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return repr(text if len(text) < 40 else text[:20] + f"…({len(text)} chars)")


@pytest.fixture
def clients(app, db, world, role_client, monkeypatch):  # noqa: F811 (fixtures imported above)
    """One client per role, signed in again if a form (log-out, a role
    change) took the session away. The rate limits stay out of the way
    (they would answer 429 before the field is ever read)."""
    monkeypatch.setattr(limiter, "enabled", False)
    # MEMBER belongs to LISTED too (the registration form then names an
    # organisation), and the other requester is accepted (REP can register
    # them for the seminar running now).
    db.session.add(Membership(organisation_id=LISTED, user_id=world.member.id, role="member", status="active"))
    db.session.get(Membership, OTHERS_MEMBERSHIP).status = "active"
    seminar = db.session.get(Event, SEMINAR)
    extra = Event(kind="seminar", title="Seminar Fördermittel", status="published", capacity=10, languages=["de"])
    first = seminar.sessions[0]
    session = EventSession(event=extra, starts_at=first.starts_at, ends_at=first.ends_at, venue_id=first.venue_id)
    db.session.add_all([extra, session, Slot(event=extra, session=session, capacity=10)])
    db.session.commit()
    assert extra.id == OPEN_SEMINAR
    made = {}

    def client_for(role, fresh=False):
        if fresh or role not in made or (role != ANON and not is_signed_in(made[role])):
            made[role] = role_client(role)
        return made[role]

    return client_for


_discovered: dict[str, list[tuple[str, Form]]] = {}


def discover_forms(app, db, clients) -> list[tuple[str, Form]]:
    """(role, form) for every distinct form on every page of the world (the
    world is the same in every test, so the pages are read once per database)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri not in _discovered:
        _discovered[uri] = _read_forms(app, db, clients)
    return list(_discovered[uri])


def _read_forms(app, db, clients) -> list[tuple[str, Form]]:
    found: dict[tuple, tuple[str, Form]] = {}
    for method, url, _endpoint, expected in [*ROUTES, *EXTRA_PAGES]:
        if method != "GET":
            continue
        url = resolve(db, url)
        roles = [role for role in FETCH_AS if expected.get(role) == 200]
        if STAFF in roles:
            roles = [role for role in roles if role not in (DOOR, ADMIN)]
        for role in roles:
            response = clients(role).get(url)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            for form in forms_of(url, response.get_data(as_text=True)):
                if form.names:
                    found.setdefault(form.key(app), (role, form))
    return list(found.values())


def test_every_form_field_survives_hostile_values(app, db, clients):
    forms = discover_forms(app, db, clients)
    posting = [(role, form) for role, form in forms if form.method == "POST"]
    # The world must offer the forms this test is about (a broken discovery
    # would pass silently otherwise).
    actions = {urlsplit(form.action).path for _, form in posting}
    # (REP, registered for the seminar, still registers colleagues there: the
    # form is found on either page)
    assert {"/login", "/signup", "/orgs/apply", "/events/1/slots/1/register"} <= actions, sorted(actions)
    assert actions & {"/events/1/slots/1/register-member",
                      f"/events/{OPEN_SEMINAR}/slots/{OPEN_SEMINAR}/register-member"}, sorted(actions)
    assert any(form.method == "GET" and "q" in form.names for _, form in forms)
    # Forms that may end the session (here or on the server) come last, each
    # request with a freshly signed-in client.
    ending = ("/logout", "/account/sessions", "/account/delete")
    forms.sort(key=lambda rf: urlsplit(rf[1].action).path in ending)

    failures = []
    for role, form in forms:
        # (CSRF is off in the tests: its token is only compared, never stored.)
        for name in [n for n in form.names if n != "csrf_token"]:
            for value in form.hostile_values(name):
                ends = urlsplit(form.action).path in ending
                client = clients(role, fresh=ends)
                # (an account to delete keeps its password empty: REP and MEMBER are needed later)
                response = send(client, form, with_value(form, name, value, fill=not ends))
                if response.status_code >= 500:
                    failures.append(f"{role} {form.method} {form.action} {name}={readable_value(value)}: "
                                    f"{response.status_code}")
    assert not failures, "\n".join(failures)


BAD_IDS = [*HOSTILE_IDS, "1:99999999999999999999", b"\xff\xfe"]


# How a page says no: a form's error summary, a flashed error, the door's red answer.
REFUSALS = ['class="error-summary"', 'class="flash flash-error"', 'class="answer answer-red"']


def refusal_message(client, response) -> str | None:
    """The message a refused form shows: an error page (4xx), the form again
    with its errors, or a flashed message on the page a redirect leads to."""
    if 400 <= response.status_code < 500:
        return response.get_data(as_text=True) or None
    if 300 <= response.status_code < 400:
        response = client.get(response.headers["Location"])
    page = response.get_data(as_text=True)
    starts = [page.find(marker) for marker in REFUSALS if marker in page]
    return page[min(starts):min(starts) + 300] if starts else None


def test_every_id_field_refuses_bad_ids_with_a_message(app, db, clients):
    """Item 1 of "Robust edges": each form field that carries an id (its
    choices are ids) answers an oversized, negative, zero, non-numeric or
    non-UTF-8 id with a message — a 4xx page or form errors, or a flashed
    message after the redirect — never a 500."""
    forms = [(role, form) for role, form in discover_forms(app, db, clients) if form.method == "POST"]
    carrying = [(role, form, name) for role, form in forms for name in form.id_fields()]
    names = {(urlsplit(form.action).path, name) for _, form, name in carrying}
    assert ("/events/1/slots/1/register", "organisation_id") in names, sorted(names)
    assert names & {("/events/1/slots/1/register-member", "member"),
                    (f"/events/{OPEN_SEMINAR}/slots/{OPEN_SEMINAR}/register-member", "member")}, sorted(names)
    failures = []
    for role, form, name in carrying:
        for value in BAD_IDS:
            client = clients(role)
            response = send(client, form, with_value(form, name, value))
            if refusal_message(client, response) is None:
                failures.append(f"{role} {form.action} {name}={readable_value(value)}: {response.status_code} "
                                "without a message")
    assert not failures, "\n".join(failures)


def test_oversized_ids_in_the_registration_forms_are_refused_with_a_message(app, clients):
    """The two forms of the issue: an id beyond the id columns is a message, not a 500."""
    client = clients(REP)
    for url, data in [("/events/1/slots/1/register", {"organisation_id": "99999999999999999999"}),
                      ("/events/1/slots/1/register-member", {"member": "1:99999999999999999999"}),
                      ("/events/1/slots/1/register-member", {"member": "99999999999999999999:3"})]:
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code < 500, (url, data)
        assert 400 <= response.status_code < 500 or b"flash" in response.data, (url, data)


# --- JSON: the door scanner's sync ---------------------------------------------------------

SYNC = f"/door/api/sessions/{TODAY_SESSION}/sync"
ITEM = {"ref": "hostile-1", "registration_id": 2, "at": "2026-01-01T10:00:00+00:00", "offline": True}
JSON_HOSTILE = [2**63, 10**30, -1, 0, 1.5, 1e308, True, None, "99999999999999999999", "abc", "a\x00b",
                "\ud800", "x" * 100_000, [], {}, [[[[[]]]]], {"a": {"b": {}}}]


def test_every_key_of_the_door_sync_survives_hostile_values(app, clients):
    client = clients(DOOR)
    failures = []
    for key in ["ref", "scan", "registration_id", "at", "offline", "undo"]:
        for n, value in enumerate(JSON_HOSTILE):
            item = {**ITEM, "ref": f"hostile-{key}-{n}", key: value}
            body = json.dumps({"items": [item]})
            response = client.post(SYNC, data=body, content_type="application/json")
            if response.status_code >= 500:
                failures.append(f"{key}={readable_value(repr(value))}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", [2**63, 10**30, "99999999999999999999", -1, "-1", 0, "0", "abc", 1.5, True,
                                   None, [], {}])
def test_a_bad_registration_id_in_the_door_sync_is_answered_with_a_message(app, clients, value):
    """The id-carrying key of the JSON body: the item is answered "not valid"
    with a message (the batch goes on), or the body is refused with one."""
    body = {"items": [{**ITEM, "ref": "bad-id", "registration_id": value}]}
    response = clients(DOOR).post(SYNC, data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500
    answer = response.get_json()
    if response.status_code == 200:
        [result] = answer["results"]
        assert result["tone"] == "red" and result["message"], result
    else:
        assert 400 <= response.status_code < 500 and (answer.get("message") or answer.get("error")), answer


def test_hostile_door_sync_bodies_are_never_a_server_error(app, clients):
    client = clients(DOOR)
    failures = []
    for items in [None, 1, "x", [1, "x", None, []], {"a": 1}, [{"ref": [1]}], [{}]]:
        response = client.post(SYNC, data=json.dumps({"items": items}), content_type="application/json")
        if response.status_code >= 500:
            failures.append(f"items={items!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000,
    b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"items": [{"ref": "\xff\xfe", "registration_id": 2}]}',
    b'{"items": [{"ref": "a\\u0000b", "registration_id": 2}]}',
    b'{"items": [{"ref": "\\ud800", "registration_id": 2}]}',
    b'{"items": [{"ref": "r", "registration_id": ' + b"9" * 5000 + b"}]}",
    b'{"items": [',
], ids=["deep", "deep-items", "invalid-utf8", "escaped-nul", "lone-surrogate", "huge-number", "truncated"])
def test_a_hostile_door_sync_body_is_refused_with_a_message(app, clients, body):
    response = clients(DOOR).post(SYNC, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["message"]


# --- URL path segments -----------------------------------------------------------------------

# Raw bytes of a path as a server hands them over (WSGI: latin-1 text):
# NUL, control bytes, invalid UTF-8, valid UTF-8 ("ü"), a long segment.
PATH_BYTES = [b"a\x00b", b"\x01\x1b", b"\xff\xfe", "ü".encode(), b"x" * 5000]


def path_urls(app):
    """Each route with text in its path, once per hostile value in that text
    (ids in the path are 1)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not ({"GET", "POST"} & rule.methods):
            continue
        texts = [arg for arg, conv in rule._converters.items() if type(conv).__name__ in
                 ("UnicodeConverter", "PathConverter")]
        if not texts:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        for value in PATH_BYTES:
            path = rule.rule
            for arg in rule.arguments:
                raw = value.decode("latin-1") if arg in texts else "1"
                for pattern in (f"<{arg}>", f"<int:{arg}>", f"<string:{arg}>", f"<path:{arg}>"):
                    path = path.replace(pattern, raw)
            yield method, path


def test_hostile_path_segments_are_never_a_server_error(app, clients):
    failures = []
    for role in (ANON, STAFF):
        client = clients(role)
        for method, path in path_urls(app):
            response = client.open("/", method=method, environ_overrides={"PATH_INFO": path})
            if response.status_code >= 500:
                failures.append(f"{role} {method} {path[:120]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


# --- the edge: refused before any view, with a message in the person's language ----------------

@pytest.mark.parametrize("method,url,data", [
    ("GET", "/orgs?q=a%00b", None),
    ("GET", "/orgs?region=%00", None),
    ("GET", "/feeds/me/abc%00def.ics", None),
    ("POST", "/signup", "name=Ana&email=ana%40example.org&password=a%00b"),
    ("POST", "/orgs/apply", "name=Verein%00&legal_form=ev"),
    ("GET", "/orgs?q=%FF%FE", None),
    ("POST", "/login", "email=%C3&password=x"),
    ("GET", "/orgs?q=%1B%5B2J", None),
])
def test_nul_control_bytes_and_invalid_utf8_are_refused_at_the_edge(app, client, method, url, data):
    response = client.open(url, method=method, data=data, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "control characters or text that is not UTF-8" in response.get_data(as_text=True)


def test_the_refusal_is_in_the_persons_language(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = client.get("/orgs?q=%00")
    assert response.status_code == 400
    assert 'lang="de"' in response.get_data(as_text=True)


def test_a_very_long_address_is_refused_with_a_message(app, client):
    response = client.get("/orgs?q=" + "x" * 100_000)
    assert response.status_code == 400
    assert "This address is too long" in response.get_data(as_text=True)


class CountingStream:
    """A request body of ``size`` bytes that counts what the server reads."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def test_an_oversized_body_is_refused_with_413_before_it_is_read(app, client):
    """A 40 MB log-in from an anonymous client (the issue saw 400 MB): refused at once, unread."""
    body = CountingStream(40 * 1024 * 1024)
    response = client.post("/login", content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(body.size)})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_a_form_of_more_text_than_a_form_holds_is_refused_with_413(app, client):
    """Below MAX_CONTENT_LENGTH (room for uploads) but above what a text form
    may hold: not parsed into memory either."""
    size = app.config["MAX_FORM_MEMORY_SIZE"] + 1
    assert size < app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login", data="email=" + "x" * size, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_the_body_limit_is_the_configured_one(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = client.post("/login", data="email=" + "x" * 3000, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    response = client.post("/login", data="email=a%40b.org&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code != 413


def test_multipart_text_and_file_names_pass_the_same_edge(app, client):
    from io import BytesIO

    response = client.post("/login", data={"email": "a\x00b@example.org", "password": "x"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    response = client.post("/login", data={"email": "a@example.org",
                                           "upload": (BytesIO(b"\x00\x01 binary is fine"), "a\x00.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    response = client.post("/login", data={"email": "a@example.org", "password": "x",
                                           "upload": (BytesIO(b"\x00\x01 binary is fine"), "Protokoll.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code != 400


def test_ordinary_text_passes_the_edge_that_refuses_control_characters(app, client):
    assert client.get("/orgs?q=Gr%C3%BC%C3%9Fe%00").status_code == 400
    assert client.get("/orgs?q=Gr%C3%BC%C3%9Fe+%D8%A7%D9%84%D8%B9%D8%B1%D8%A8%D9%8A%D8%A9").status_code == 200
    response = client.post("/login", data={"email": "ayşe@example.org", "password": "tab\tand\r\nnew lines"})
    assert response.status_code != 400
