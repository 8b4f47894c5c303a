"""Gunicorn settings for Infrashare (`gunicorn -c gunicorn.conf.py app:app`), chosen by
measurement with `python -m bench` (see the README's Performance section).

Every value can be changed from the environment without editing this file:
    WEB_CONCURRENCY   worker processes (default: 2, one per core of the reference machine)
    GUNICORN_THREADS  threads per worker (default: 1, the plain sync worker; more: gthread)
    GUNICORN_BIND     address to listen on (default 127.0.0.1:8000; put a proxy in front)
    GUNICORN_TIMEOUT  seconds a request may take before its (sync) worker is restarted (default 30)
    GC_FREEZE         1 (default) moves the objects built at start-up out of the garbage
                      collector's way in each worker; 0 leaves the collector as it is
"""
import gc
import os

import gunicorn.http.wsgi

# No banner naming the server software and its version in every response.
gunicorn.http.wsgi.SERVER = "Infrashare"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Measured with bench/ (S city, 16 clients booking, 2 cores, runs alternating, medians of 3):
# PostgreSQL 2 sync workers 147 bookings/s (p95 89 ms), 2 x 2 threads 127 (120), 2 x 4 threads
# 118 (147), 3 sync workers 124 (101); SQLite 2 sync 114 (177), 2 x 4 threads 105 (528).
# Again after SQLite's writers took turns across processes (2026-12-02, fresh S city, 10 s):
# SQLite 2 sync 264/s (p95 70 ms), 2 x 2 threads 239 (106); PostgreSQL 225 (81), 197 (135).
# On the slower AMD machine (2026-12-02, PostgreSQL, fresh S city, 15 s): 3 sync workers 106/s
# (p95 189 ms), 2 sync workers 110 (192).
# Threads of one worker share its interpreter lock, and on two cores they only add switching.
# A sync worker gives each request the whole worker: serve it behind a buffering proxy
# (nginx), and where long requests are common raise WEB_CONCURRENCY or GUNICORN_THREADS.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
keepalive = 5  # gthread only: a sync worker closes the connection after each response
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
preload_app = False
accesslog = None
_freeze = os.environ.get("GC_FREEZE", "1") != "0"


def post_worker_init(worker):
    """After the worker has built the app: the app, its models and templates live as long as
    the worker, so the collector need not walk them again and again during requests."""
    if _freeze:
        gc.collect()
        gc.freeze()
