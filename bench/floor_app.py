"""The floor: the least a Flask page can cost on this machine.

One SQLite query, one small Jinja template, nothing else (no ORM, no
extensions, no session). Served by the same gunicorn settings as the app
(``gunicorn -c gunicorn.conf.py bench.floor_app:app``), so that the ratio
app / floor tells how much the app's own work costs, whatever the machine.

``FLOOR_DB`` names the SQLite file; ``python bench/floor_app.py PATH`` creates it.
"""
from __future__ import annotations

import os
import sqlite3
import sys

from flask import Flask, g, render_template
from jinja2 import DictLoader

TEMPLATE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<ul>
{% for row in rows %}  <li><a href="/events/{{ row.id }}">{{ row.title }}</a> – {{ row.starts_at }}</li>
{% endfor %}</ul>
</body>
</html>
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"floor.html": TEMPLATE})


def _db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(os.environ["FLOOR_DB"])
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def _close(_exc) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@app.route("/")
def index():
    rows = _db().execute("SELECT id, title, starts_at FROM items ORDER BY starts_at, id LIMIT 20").fetchall()
    return render_template("floor.html", title="Termine", rows=rows)


def create_database(path: str, rows: int = 200) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE IF EXISTS items")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, starts_at TEXT NOT NULL)")
        conn.execute("CREATE INDEX ix_items_starts_at ON items (starts_at)")
        conn.executemany("INSERT INTO items (id, title, starts_at) VALUES (?, ?, ?)",
                         [(i, f"Vernetzungstreffen {i}", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 18:00")
                          for i in range(1, rows + 1)])
    conn.close()


if __name__ == "__main__":
    create_database(sys.argv[1])
