"""The edge: every value a client sends passes here before a view uses it.

* **Ids** from a URL, a form or a JSON body go through ``parse_id`` (or
  ``get_by_id``, ``coerce_id`` for a ``SelectField``): anything that is not
  an id the id columns can hold (text, zero, negative, larger than 2**31-1)
  is ``None`` — never an ``OverflowError`` or a database error.
* **Text** in the URL path, the query string and a form must be valid UTF-8
  without control characters (a NUL is refused by PostgreSQL, the others by
  spreadsheet and PDF exports): ``guard_request`` refuses it with a 400 before
  any view, in the user's language.
* **JSON bodies** are read through ``Request.get_json``, which checks size,
  encoding and nesting depth *before* parsing (5,000 nested brackets would be
  a ``RecursionError``) and the strings inside after.
* **Size**: ``MAX_CONTENT_LENGTH`` bounds every body (413); a url-encoded
  form or a JSON body holds only text, so it is bounded by
  ``MAX_FORM_MEMORY_SIZE`` like a text part of a multipart form.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote_to_bytes

from flask import Flask, request
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

MAX_ID = 2**31 - 1
"""The largest value an id column holds (INTEGER on PostgreSQL)."""

MAX_JSON_DEPTH = 20
"""Nesting of arrays and objects a JSON body may have (the door sync needs 3)."""

MAX_URL_LENGTH = 8192
"""Longest path plus query string (as gunicorn's request line limit): a
longer one would only carry a search of no use (SQLite refuses a LIKE pattern
over 50,000 bytes)."""

INVALID_TEXT = _l("What you sent contains characters that cannot be processed (control characters "
                  "or text that is not UTF-8). Please check your input and try again.")
INVALID_VALUE = _l("Something in the form could not be understood. Please reload the page and try again.")
INVALID_JSON = _l("The data sent could not be read. Please reload the page and try again.")
URL_TOO_LONG = _l("This address is too long. Please shorten your search and try again.")

# C0 control characters except tab, line feed and carriage return; lone
# surrogates (a JSON "\ud800" escape) cannot be stored as UTF-8 at all.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


# --- ids ---------------------------------------------------------------------------------------

def parse_id(value) -> int | None:
    """``value`` as an id (1..2**31-1), from an int or a string of ASCII
    digits; ``None`` for anything else (including bool, floats, signs,
    spaces and non-ASCII digits)."""
    return parse_int(value, minimum=1)


def parse_int(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole number from a form (a count, a version) within
    ``minimum..maximum`` (it must fit an INTEGER column), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value[1:] if value[:1] == "-" else value
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            return None
        value = int(value)
    if not isinstance(value, int) or not minimum <= value <= maximum:
        return None
    return value


def get_by_id(model, value):
    """The row of ``model`` a URL, a form or a client names by id, or None
    when there is none or the value is no plausible id."""
    from .extensions import db

    number = parse_id(value)
    return None if number is None else db.session.get(model, number)


def coerce_id(value) -> int | None:
    """``coerce`` for a ``SelectField`` of ids: an empty choice is ``None``,
    anything else that is no id makes the field invalid ("Not a valid
    choice") instead of an error deeper down."""
    if value is None or value == "":
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def parse_ids(values) -> list[int]:
    """The ids among ``values`` (a multi-select), in order, each once;
    anything that is not an id is left out."""
    seen: dict[int, None] = {}
    for value in values or ():
        number = parse_id(value)
        if number is not None:
            seen.setdefault(number)
    return list(seen)


def parse_id_pair(value, separator: str = ":") -> tuple[int, int] | None:
    """Two ids written as ``"12:34"`` (one choice naming two rows), or None."""
    if not isinstance(value, str) or value.count(separator) != 1:
        return None
    first, second = (parse_id(part) for part in value.split(separator))
    if first is None or second is None:
        return None
    return first, second


# --- text --------------------------------------------------------------------------------------

class InvalidInput(BadRequest):
    """A 400 whose description is shown to the person (in their language)."""

    def __init__(self, message=INVALID_TEXT) -> None:
        super().__init__(description=message)
        self.message = message


def is_clean_text(value: str) -> bool:
    """No control characters (tab and line breaks allowed), no lone surrogates."""
    return _FORBIDDEN.search(value) is None


def check_text(value: str) -> str:
    if not is_clean_text(value):
        raise InvalidInput()
    return value


def check_urlencoded(raw: bytes) -> None:
    """A query string or url-encoded body: once percent-decoded it must be
    UTF-8 without control characters (Werkzeug would quietly keep invalid
    bytes as ``%FF`` text)."""
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput() from None
    check_text(text)


def check_path(environ: dict) -> None:
    """The URL path (WSGI gives it as latin-1 of the raw bytes)."""
    path = environ.get("PATH_INFO", "")
    try:
        text = path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise InvalidInput() from None
    check_text(text)


# --- JSON --------------------------------------------------------------------------------------

def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """Deepest nesting of ``[``/``{`` in a JSON text, counted without
    parsing it (strings removed first); stops counting above ``limit``."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def check_json_body(raw: bytes, *, max_bytes: int | None) -> None:
    if max_bytes is not None and len(raw) > max_bytes:
        raise RequestEntityTooLarge()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(INVALID_TEXT) from None
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InvalidInput(INVALID_JSON)


def check_json_value(value) -> None:
    """Every string (key or value) in parsed JSON is clean text. Only called
    on bodies whose depth was checked, so the recursion is bounded."""
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_json_value(item)
    elif isinstance(value, list):
        for item in value:
            check_json_value(item)


# --- the request -------------------------------------------------------------------------------

class GuardedFormDataParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestEntityTooLarge()
        check_urlencoded(raw)
        items = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        return stream, self.cls(items), self.cls()


class Request(FlaskRequest):
    """Flask's request whose form and JSON parsing refuse bad text and
    oversized or too deeply nested bodies (see the module's docstring)."""

    form_data_parser_class = GuardedFormDataParser

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        """A body that says it is JSON must be JSON we can use: anything else
        is a 400 with a message, also for ``silent=True`` (which only stays
        quiet about bodies that are not JSON)."""
        if not (force or self.is_json) or getattr(self, "_json_checked", False):
            return super().get_json(force=force, silent=silent, cache=cache)
        check_json_body(self.get_data(cache=True), max_bytes=self.max_form_memory_size)
        try:
            value = super().get_json(force=force, silent=False, cache=cache)
        except BadRequest:
            raise InvalidInput(INVALID_JSON) from None
        check_json_value(value)
        self._json_checked = True
        return value


def guard_request() -> None:
    """Before every view (and before any other hook that reads input): the
    path, the query string and the form are clean text."""
    if len(request.environ.get("PATH_INFO", "")) + len(request.query_string) > MAX_URL_LENGTH:
        raise InvalidInput(URL_TOO_LONG)
    check_path(request.environ)
    check_urlencoded(request.query_string)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        form = request.form  # url-encoded bodies are checked while parsed
        if request.mimetype == "multipart/form-data":
            for key, value in form.items(multi=True):
                check_text(key)
                check_text(value)
            for key, upload in request.files.items(multi=True):
                check_text(key)
                check_text(upload.filename or "")


def init_app(app: Flask) -> None:
    app.request_class = Request
    # First of all before_request functions: the page cache, the log-in and
    # consent checks and CSRF read the query string and the form too.
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)


__all__ = [
    "INVALID_VALUE", "MAX_ID", "InvalidInput", "check_text", "coerce_id", "get_by_id", "guard_request",
    "init_app", "is_clean_text", "parse_id", "parse_id_pair", "parse_ids", "parse_int",
]
