"""Error pages in the user's language: 400, 403, 404, 405, 429, 500."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be processed. Please go back, reload the page and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not possible here.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later. Nothing you entered was saved.")),
    503: (_l("Temporarily unavailable"), _l("The service is temporarily unavailable. Please try again later.")),
}


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
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
            response, status = render_error(error.code)
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
