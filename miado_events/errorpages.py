"""Error pages in the user's language: 400, 403, 404, 405, 413, 429, 500, 503.

A client that sent JSON gets ``{"error": ..., "message": ...}`` instead of a page."""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, has_request_context, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be processed. Please go back, reload the page and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not possible here.")),
    413: (_l("Too much data"), _l("What you sent is larger than this site accepts. Please send less at once "
                                  "or a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later. Nothing you entered was saved.")),
    503: (_l("Temporarily unavailable"), _l("The service is temporarily unavailable. Please try again later.")),
}


ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 429: "too_many_requests", 500: "server_error", 503: "unavailable"}


def wait_message(seconds: float) -> str:
    """"Please try again in 12 minutes." (at least one minute, rounded up)."""
    minutes = max(math.ceil(seconds / 60), 1)
    return ngettext("Please try again in %(num)d minute.", "Please try again in %(num)d minutes.", minutes)


def _rate_limit_wait(error) -> float | None:
    """Seconds until a 429 ends: the error's own Retry-After, else the
    Flask-Limiter limit that was hit."""
    if getattr(error, "retry_after", None) is not None:
        retry = error.retry_after
        return retry if isinstance(retry, (int, float)) else None
    from .extensions import limiter

    try:
        hit = limiter.current_limit
    except Exception:  # outside a limited request
        return None
    return max(hit.reset_at - time.time(), 1) if hit is not None else None


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    if has_request_context() and request.is_json:
        return jsonify(error=ERROR_CODES.get(status, "error"), message=str(detail or message)), status
    return render_template("errors/error.html", status=status, title=title,
                           message=detail or message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400, _l("Your form has expired or was sent from another page. "
                                    "Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code in MESSAGES:
            # InvalidInput (miado_events.inputs) carries a message for people.
            detail = getattr(error, "message", None)
            if error.code == 429 and detail is None:
                wait = _rate_limit_wait(error)
                if wait is not None:
                    detail = f"{_l('You have tried this too often.')} {wait_message(wait)}"
            response, status = render_error(error.code, detail)
            if error.code == 429 or error.code == 405:
                headers = error.get_headers()
                return response, status, [h for h in headers if h[0] != "Content-Type"]
            return response, status
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return error
        log.exception("unhandled error")
        from .extensions import db

        db.session.rollback()
        return render_error(500)
