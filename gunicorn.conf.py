"""Production gunicorn settings: ``gunicorn -c gunicorn.conf.py app:app``.

Everything can be overridden with environment variables (or gunicorn's own
command-line flags): GUNICORN_BIND, WEB_CONCURRENCY (worker processes),
GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_ACCESSLOG.

With more than one worker the rate limits need a shared store
(RATELIMIT_STORAGE_URI=redis://…): with the default memory:// each worker
counts alone, and the master logs a loud warning at start (when_ready below).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, one request at a time each: the app is CPU-bound Python, so
# about one or two processes per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Restart a worker now and then so that a slow leak can never grow far.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
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
