"""Static files for weak phones and slow networks.

- Fingerprints: ``url_for('static', filename=...)`` adds ``?v=<hash of the
  file>``. A URL with the current hash is cached by browsers for a year
  (``immutable``); a changed file gets a new URL, so nobody keeps a stale copy.
- Compression: HTML, CSS, JavaScript, JSON, SVG and iCalendar responses are
  sent with Brotli or gzip when the browser accepts it (Flask-Compress).
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from flask_compress import Compress

YEAR = 365 * 24 * 3600
#: Unversioned static URLs (old bookmarks, the service worker's list) are
#: checked again after this many seconds.
UNVERSIONED_MAX_AGE = 3600

compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
        "image/svg+xml", "text/calendar", "text/csv", "application/manifest+json", "text/plain"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Brotli level 4 packs about as well as gzip 9 at a fraction of the time.
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)

    cache: dict[str, tuple[float, str]] = {}

    def fingerprint(filename: str) -> str | None:
        path = os.path.join(app.static_folder, filename)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        known = cache.get(filename)
        if known and known[0] == mtime:
            return known[1]
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        cache[filename] = (mtime, digest)
        return digest

    @app.url_defaults
    def _add_fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename"):
            digest = fingerprint(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_static(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            version = request.args.get("v")
            filename = (request.view_args or {}).get("filename", "")
            if version and version == fingerprint(filename):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = f"public, max-age={UNVERSIONED_MAX_AGE}"
        return response
