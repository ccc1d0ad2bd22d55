"""One unit of work per request.

Every request runs in one database transaction that this module ends:

* the view returned a response below 400 → **commit** (mail queued in the
  outbox goes out after it, see ``miado_events.mail``);
* the view raised, aborted, returned a status of 400 or more, or called
  ``discard()`` → **roll back**: nothing the request wrote stays.

Views therefore never commit or roll back, and services never do either
(they use savepoints for conflicts they expect). A ``DomainError`` a view
lets through is handled once, here: the request is rolled back, the message
is flashed in the user's language and the browser returns to the form it
came from (``returns_to()`` names that page when the referrer cannot be
used); a JSON client gets ``{"error": code, "message": ...}`` instead.

CLI commands are their own unit of work and commit themselves.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, g, jsonify, redirect, request, url_for

from .errors import DomainError, NotFound, PermissionDenied
from .extensions import db

_DISCARD = "uow_discard"
_BACK = "uow_back"


def discard() -> None:
    """Roll this request back at its end, whatever the view returns (a view
    that caught a ``DomainError`` to show the form again calls this)."""
    g.setdefault(_DISCARD, True)


def returns_to(url: str) -> str:
    """Where a ``DomainError`` raised later in this request sends the person
    (returned, so the view can redirect there on success too)."""
    setattr(g, _BACK, url)
    return url


def refuse(error: DomainError, *, flash_message: bool = True) -> None:
    """A view that caught ``error`` and shows its page again: roll back now
    (nothing half-done stays visible to the page), keep the request rolled
    back, and flash the message (``flash_message=False``: the view shows it
    next to the form field it concerns)."""
    db.session.rollback()
    discard()
    if flash_message:
        flash(str(error.message), "error")


def attempt(action, success: str | None = None) -> bool:
    """For a view that shows its form again when a rule says no: run the
    service call ``action``; on a ``DomainError`` flash its message, mark the
    request for roll-back and return False; else flash ``success``."""
    try:
        action()
    except DomainError as err:
        refuse(err)
        return False
    if success:
        flash(success, "success")
    return True


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _back_url() -> str:
    back = g.get(_BACK) or _same_site_referrer()
    if back:
        return back
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    return url_for("pages.home")


def _status_of(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    return 409


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        discard()
        if _wants_json():
            return jsonify(error=error.code, message=str(error.message)), _status_of(error)
        flash(str(error.message), "error")
        return redirect(_back_url())

    @app.after_request
    def _end_unit_of_work(response):
        if response.status_code >= 400 or g.pop(_DISCARD, False):
            db.session.rollback()
        else:
            db.session.commit()
        return response

    @app.teardown_request
    def _roll_back_on_error(error):
        # An exception that no handler turned into a response (or one raised
        # by a later after_request function) leaves nothing behind.
        if error is not None:
            db.session.rollback()
