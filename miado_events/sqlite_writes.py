"""SQLite's single writer, queued by the operating system instead of polled.

SQLite lets one connection write at a time. A connection that finds the
write lock taken does not wait to be woken: its busy handler sleeps and
retries (1, 2, 5 … up to 100 ms between tries), so with a few gunicorn
workers writing at once most of their time goes to sleeping while the lock
is free, and an unlucky writer can lose many rounds in a row.

So each writer first takes an exclusive ``flock`` on a file beside the
database (``<database>.writelock``), right before its ``BEGIN IMMEDIATE``,
and gives it back after its ``COMMIT`` or ``ROLLBACK``. Waiting writers of
every process on the machine then queue in the kernel and the next one is
woken the moment the lock is free; ``BEGIN IMMEDIATE`` finds SQLite's own
lock free and never sleeps. busy_timeout stays as the safety net for writers
that do not take the file lock (another program, SQLite's own checkpoints).

Threads of one process first queue for a thread lock (woken at once too),
so only one of them waits in ``flock``. A thread that waits longer than
busy_timeout for another thread of its process (a thread that waits for a
thread that waits for it) stops waiting and leaves it to SQLite, which then
fails as it always did ("database is locked") instead of hanging; a thread
that already writes through one connection and starts writing through a
second one does not wait for the lock it holds itself.

The lock cannot leak: COMMIT, ROLLBACK, closing the connection and dropping
it release it, and the kernel releases the ``flock`` of a process that dies.
A connection that only reads never takes it. A forked child (a gunicorn
worker) starts with locks of its own.

Only for SQLite database files: PostgreSQL has row locks, and an in-memory
database has one connection.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

#: How long a writer waits for another thread of its own process before it
#: gives up the file lock and leaves the waiting to SQLite (busy_timeout):
#: the same bound as busy_timeout, so a thread that waits for a thread that
#: waits for it fails as it did before, instead of hanging.
THREAD_WAIT_SECONDS = 30.0


class FileLock:
    """The write lock of one database file in this process: a thread lock
    (threads of one process queue here, woken at once, with a time limit)
    and one ``flock`` on the lock file (processes queue in the kernel)."""

    def __init__(self, path: str):
        self.path = path
        self._reset()

    def _reset(self) -> None:
        self._threads = threading.Lock()
        self._file = None  # opened at the first write: never before gunicorn forks
        self.owner: int | None = None

    def acquire(self, timeout: float = THREAD_WAIT_SECONDS) -> bool:
        """Take the lock; False (and nothing taken) when this thread holds it
        already through another connection, or the time ran out."""
        if self.owner == threading.get_ident():
            return False
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            if self._file is None:
                self._file = open(self.path, "ab")  # noqa: SIM115 (kept open for the process)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self.owner = threading.get_ident()
        return True

    def release(self) -> None:
        self.owner = None
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        finally:
            self._threads.release()

    @property
    def held(self) -> bool:
        return self._threads.locked()


_locks: dict[str, FileLock] = {}
_factories: dict[str, type] = {}


def _forget_parents_locks() -> None:
    # A forked child (a gunicorn worker) starts with locks of its own: an
    # inherited open file would share the parent's flock, and a thread lock
    # taken by another thread of the parent would never be released.
    for lock in _locks.values():
        lock._reset()


os.register_at_fork(after_in_child=_forget_parents_locks)


def lock_path(database: str | None) -> str | None:
    """The lock file for a SQLite database file, None for an in-memory one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + ".writelock"


def file_lock(path: str) -> FileLock:
    lock = _locks.get(path)
    if lock is None:
        lock = _locks.setdefault(path, FileLock(path))
    return lock


class WriteLockedConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions hold the database's
    write lock from ``begin_write()`` to their COMMIT or ROLLBACK."""

    write_lock: FileLock | None = None
    _locked = False
    _locked_by = 0

    def begin_write(self) -> None:
        """``BEGIN IMMEDIATE``, after taking the write lock (waiting, without
        polling, until the writer before has committed)."""
        self._locked = self.write_lock is not None and self.write_lock.acquire()
        self._locked_by = os.getpid()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_lock()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if not self.in_transaction:
                self._release_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_lock()

    def __del__(self) -> None:
        # Dropped without close(): SQLite ends the transaction; so do we.
        self._release_lock()

    def _release_lock(self) -> None:
        if self._locked:
            self._locked = False
            if self._locked_by == os.getpid():  # not in a forked child: the lock is its parent's
                self.write_lock.release()


def use_write_lock(cparams: dict, database: str | None) -> None:
    """For SQLAlchemy's ``do_connect`` event: make the new connection a
    ``WriteLockedConnection`` that takes ``database``'s write lock."""
    path = lock_path(database)
    current = cparams.get("factory")
    if path is None or not (current is None or issubclass(current, WriteLockedConnection)):
        return
    cparams["factory"] = _factory_for(path)


def _factory_for(path: str) -> type:
    """A ``WriteLockedConnection`` class bound to one lock (sqlite3.connect
    takes a class, not arguments for it)."""
    factory = _factories.get(path)
    if factory is None:
        factory = _factories[path] = type("WriteLockedConnection", (WriteLockedConnection,),
                                          {"write_lock": file_lock(path)})
    return factory
