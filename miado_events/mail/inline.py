"""Inline delivery (``MAIL_SEND_INLINE``) off the request's thread.

After a commit that queued mail, the ids go to this process's delivery
thread: one daemon thread per app and process, started on first use (again
after a fork: a gunicorn worker gets its own), that renders and delivers
them in an app context of its own (``outbox.deliver_ids``). The response is
not held up by rendering or SMTP, and a slow or failing mail server cannot
fail a request. Nothing is lost when the process ends with ids still in the
thread's queue: the rows are in the outbox, queued, and the sender
(``flask --app app mail send``) delivers them; at a normal exit the thread
gets a few seconds to finish.

``wait_idle()`` waits until everything handed over has been dealt with:
tests read what the memory backend collected only after that
(``DeliveredList``), and ``MAIL_INLINE_WAIT`` (tests only) makes the
committing thread wait for it, so that a test sees the outcome right after
its commit; the work still runs on the delivery thread.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading

log = logging.getLogger(__name__)


class InlineDeliverer:
    def __init__(self, app) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._exit_hook = False

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident if self._thread is not None else None

    def submit(self, ids) -> None:
        """Deliver the outbox rows ``ids`` on the delivery thread, soon."""
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            self._ensure_thread()
            self._pending += 1
            self._queue.put(ids)
        if self.app.config.get("MAIL_INLINE_WAIT"):
            self.wait_idle()

    def wait_idle(self, timeout: float | None = 60) -> bool:
        """Wait until every id handed over has been dealt with (True), or
        ``timeout`` seconds passed (False). On the delivery thread: at once."""
        if threading.get_ident() == self.thread_ident:
            return True
        with self._lock:
            if self._pid != os.getpid():
                return True  # nothing was handed to a thread of this process
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _ensure_thread(self) -> None:
        # Under the lock. A fork copies neither the thread nor its queue.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._pending = 0
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(self._queue,),
                                        name="mail-deliverer", daemon=True)
        self._thread.start()
        if not self._exit_hook:
            self._exit_hook = True
            atexit.register(self.wait_idle, 5)

    def _run(self, work: queue.Queue) -> None:
        from .outbox import deliver_ids

        while True:
            ids = work.get()
            try:
                with self.app.app_context():
                    deliver_ids(ids)
            except Exception:  # the rows stay queued; the sender retries them
                log.exception("inline mail delivery failed; messages stay in the outbox")
            finally:
                with self._lock:
                    if work is self._queue:
                        self._pending -= 1
                        if self._pending <= 0:
                            self._pending = 0
                            self._idle.notify_all()


class DeliveredList(list):
    """The memory backend's list of delivered messages (tests): every read
    first waits until the delivery thread is idle, so a test sees the mail a
    commit queued as soon as it looks. Appends (by the thread) do not wait."""

    def __init__(self, deliverer: InlineDeliverer) -> None:
        super().__init__()
        self.deliverer = deliverer

    def _settle(self) -> None:
        self.deliverer.wait_idle()


def _waiting(name):
    method = getattr(list, name)

    def read(self, *args, **kwargs):
        self._settle()
        return method(self, *args, **kwargs)

    read.__name__ = name
    return read


for _name in ("__getitem__", "__iter__", "__len__", "__contains__", "__eq__", "__ne__", "__reversed__",
              "__repr__", "__bool__", "clear", "copy", "count", "index", "pop", "remove"):
    if hasattr(list, _name):
        setattr(DeliveredList, _name, _waiting(_name))
