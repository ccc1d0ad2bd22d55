"""Run a memory-hungry, pure function in a short-lived child process.

Laying out a PDF needs fpdf2 with fontTools (about 47 MB in a process that
has loaded and used them). A web worker that lays out the MSO list once per
change would carry that for the rest of its life; with ``PDF_RENDER_APART``
(turned on by gunicorn.conf.py) the worker forks, the child imports the
library, computes the bytes, hands them back through a pipe and exits, and
the worker stays as small as it was.

The function must be pure: everything it needs from the database is read
BEFORE the fork and passed in as plain data, because the child must never
touch the parent's database connections. The child leaves with
``os._exit`` (no atexit handlers, no clean-up of inherited objects).
Without ``PDF_RENDER_APART`` (development, tests, CLI) it simply calls the
function.
"""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from flask import current_app


def run(fn: Callable[..., bytes], *args) -> bytes:
    """``fn(*args)``, in a forked child when ``PDF_RENDER_APART`` is on."""
    if not current_app.config.get("PDF_RENDER_APART") or not hasattr(os, "fork"):
        return fn(*args)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or process left for a child: do it here, once
        os.close(read_end)
        os.close(write_end)
        return fn(*args)
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            data = fn(*args)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:  # noqa: BLE001 - reported by the parent
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{getattr(fn, '__qualname__', fn)} failed in its child process")
    return data
