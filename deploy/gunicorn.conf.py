"""gunicorn settings for the LMS web server.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Settings come from the environment (the systemd unit's EnvironmentFile): GUNICORN_BIND,
WEB_CONCURRENCY (worker processes), GUNICORN_THREADS, GUNICORN_TIMEOUT. The app logs one line per
request itself (JSON in production), so gunicorn's access log is off.
"""

import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A request is mostly Python under the GIL, so one process per core; its threads overlap one request's
# database round trips with another's Python. Measured with bench/submissions.py (2 cores, PostgreSQL):
# gthread 2 x 4 used the least CPU per submission of 2 x 4, 2 x 2, and 2 or 3 sync workers.
# Each thread holds at most two pooled connections (the session touch has its own): pool 5 + 10 suffices.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# Certificates are drawn by the job worker, so no request should take long; a stuck one is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# The app is imported once in the master, so a broken configuration stops start-up with one message.
preload_app = True
# A worker is replaced after this many requests (with jitter), so slow leaks never build up.
max_requests = 2000
max_requests_jitter = 200
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy's X-Forwarded-* headers are read by the app (TRUSTED_PROXIES), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
# gunicorn 27's control socket would be written under $HOME, which the systemd unit keeps read-only.
control_socket_disable = True


def post_worker_init(worker):
    """Load the certificate fonts in each worker after the fork (fontconfig state is per process)."""
    try:
        import certificates

        certificates.prepare()
    except Exception:  # a host without Pango still serves pages; start-up has already warned
        logging.getLogger("lms").exception("certificate fonts could not be prepared in worker %s", worker.pid)
