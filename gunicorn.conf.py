"""Gunicorn settings for Infrashare (`gunicorn -c gunicorn.conf.py app:app`), chosen by
measurement with `python -m bench` (see the README's Performance section).

Every value can be changed from the environment without editing this file:
    WEB_CONCURRENCY   worker processes (default: 2, one per core of the reference machine)
    GUNICORN_THREADS  threads per worker (default: 4; 1 means the plain sync worker)
    GUNICORN_BIND     address to listen on (default 127.0.0.1:8000; put a proxy in front)
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
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# Threads wait on the database, not on slow clients: keep-alive connections stay cheap.
keepalive = 5
timeout = 30
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
