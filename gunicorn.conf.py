"""Production gunicorn settings: ``gunicorn -c gunicorn.conf.py app:app``.

Everything can be overridden with environment variables (or gunicorn's own
command-line flags): GUNICORN_BIND, WEB_CONCURRENCY (worker processes),
GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_ACCESSLOG, and the four below
(GUNICORN_MAX_REQUESTS, GUNICORN_MAX_REQUESTS_JITTER,
GUNICORN_MAX_WORKER_MEMORY_MB, PDF_RENDER_APART).

Workers stay warm. What makes the pages fast lives in each worker process:
the page cache, the feed bodies, the MSO list copies, the VEVENT cache. A
worker that gunicorn replaces starts with all of them empty, and under load
its first requests are the slow ones: with ``max_requests`` 5000 ± 500 the
p99 of the cached pages jumped from 45 ms to 500 ms whenever workers were
recycled during a run. So workers are NOT recycled after a number of
requests (``max_requests`` 0; GUNICORN_MAX_REQUESTS=5000 turns it back on,
GUNICORN_MAX_REQUESTS_JITTER spreads the restarts, default a tenth).
Recycling by count guarded against a slow leak; that guard is now a memory
limit that only a leaking worker ever reaches: after a request, a worker
whose resident memory is above GUNICORN_MAX_WORKER_MEMORY_MB (default 256;
0 turns it off; a healthy worker stays under 100 after a benchmark run)
finishes and is replaced, the way ``max_requests`` replaces one.

Memory: the app is loaded once in the master (``preload_app``) and the
workers are forked from it, so they share its pages; ``gc.freeze()`` before
each fork moves the loaded objects out of the collector's reach, so that a
collection in a worker does not write to (and so copy) every shared page.
Heavy libraries that only some requests use (fpdf2, openpyxl, Alembic,
markdown-it-py) are imported by the code that uses them, not at start-up.
The one PDF anyone may fetch, the MSO list, is laid out in a short-lived
child process (PDF_RENDER_APART, on here unless set: miado_events/apart.py),
so a worker never carries fpdf2 and fontTools (some 47 MB) for the rest of its life.

With more than one worker the rate limits need a shared store
(RATELIMIT_STORAGE_URI=redis://…): with the default memory:// each worker
counts alone, and the master logs a loud warning at start (when_ready below).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Read by the app's config (preload_app loads it after this file).
os.environ.setdefault("PDF_RENDER_APART", "true")
# Sync workers, one request at a time each: the app is CPU-bound Python, so
# about one or two processes per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# No recycling by count (see above): a fresh worker has cold caches.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", str(max_requests // 10)))
# The leak guard instead: a worker above this resident size is replaced (0: never).
max_worker_memory_mb = int(os.environ.get("GUNICORN_MAX_WORKER_MEMORY_MB", "256"))
# Read the size once every so many requests (one small /proc read).
MEMORY_CHECK_EVERY = 50
# Load the app once, then fork: workers start at once and share memory.
preload_app = True
# gunicorn >= 24 opens a control socket in $HOME; several instances would share it.
control_socket_disable = True
# One line per request, with the time it took (%(M)s: milliseconds).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """gunicorn hook, once the master is up: a loud warning when the rate
    limits would be counted by each worker alone (in-memory storage)."""
    from miado_events.config import rate_limit_warning

    warning = rate_limit_warning(server.cfg.workers)
    if warning:
        bar = "!" * 72
        for line in (bar, warning, bar):
            server.log.warning(line)


def pre_fork(server, worker):
    """gunicorn hook, in the master before each worker is forked: collect
    once, then freeze what is left (the loaded app) so that the workers'
    collections never touch, and so never copy, the pages they share."""
    import gc

    gc.collect()
    gc.freeze()


def resident_mb() -> float:
    """This process's resident set size (VmRSS) in MB; 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def post_request(worker, req, environ, resp):
    """gunicorn hook, in a worker after each request: the leak guard. Every
    MEMORY_CHECK_EVERY requests, a worker above ``max_worker_memory_mb``
    finishes (as with ``max_requests``) and the master starts a fresh one."""
    limit = max_worker_memory_mb
    if not limit or worker.nr % MEMORY_CHECK_EVERY:
        return
    size = resident_mb()
    if size > limit:
        worker.log.warning("worker %s uses %.0f MB (limit %d MB, GUNICORN_MAX_WORKER_MEMORY_MB): "
                           "replacing it after this request", worker.pid, size, limit)
        worker.alive = False
