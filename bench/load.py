"""HTTP load: gunicorn servers the benchmark starts on 127.0.0.1, and a client of N processes.

The same client drives the app (POST /api/v1/reservations) and the bare INSERT endpoint
(bench/bare.py), so the two can be compared. Each client is a process with one keep-alive
connection (reopened when the server closes it), sending requests one after another.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`gunicorn -c gunicorn.conf.py TARGET` on a free port of 127.0.0.1, until stopped."""

    def __init__(self, target: str, database_url: str, env: dict | None = None, instance: str | None = None):
        self.port = free_port()
        environ = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench", "MAP_TILE_URL": "",
                   "SCHEDULER_ENABLED": "false", **(env or {})}
        self.log = open(Path(instance or ".") / f"gunicorn-{target.split(':')[0]}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.port}",
             target], cwd=ROOT, env=environ, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    if len(self.workers()) >= 1:
                        time.sleep(0.5)  # let every worker finish loading the app
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s")

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def worker_rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@dataclass
class LoadResult:
    requests: int = 0
    statuses: dict = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> dict:
        return {"requests": self.requests, "created": self.created, "per_second": round(self.per_second, 1),
                "p50_ms": round(self.percentile(0.5), 1), "p95_ms": round(self.percentile(0.95), 1),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "seconds": round(self.seconds, 2)}


def _post(connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict) -> int:
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.getheader("Connection", "").lower() == "close":
        connection.close()
    return response.status


def _client(port, path, token, bodies, start_at, deadline, queue) -> None:
    """One client: post each body in turn from `start_at` until `deadline` or the bodies run out."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    statuses: dict[int, int] = {}
    latencies = []
    while time.time() < start_at:
        time.sleep(0.001)
    for body in bodies:
        if time.time() >= deadline:
            break
        started = time.perf_counter()
        try:
            status = _post(connection, path, json.dumps(body).encode(), headers)
        except (OSError, http.client.HTTPException):
            connection.close()
            status = 599
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    queue.put((statuses, latencies, time.time()))


def run_load(port: int, path: str, tokens: list[str], bodies_per_client: list[list[dict]],
             seconds: float) -> LoadResult:
    """Every client posts its own bodies for `seconds`; returns what they saw."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 1.0
    processes = [context.Process(target=_client, args=(port, path, token, bodies, start_at, start_at + seconds,
                                                       queue))
                 for token, bodies in zip(tokens, bodies_per_client)]
    for process in processes:
        process.start()
    result = LoadResult()
    finished = []
    for _ in processes:
        statuses, latencies, ended = queue.get(timeout=seconds + 120)
        for status, count in statuses.items():
            result.statuses[status] = result.statuses.get(status, 0) + count
        result.latencies_ms.extend(latencies)
        finished.append(ended)
    for process in processes:
        process.join()
    result.requests = len(result.latencies_ms)
    result.seconds = max(finished) - start_at
    return result


def _racer(port, path, token, body, barrier, queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    connection.connect()
    barrier.wait()
    try:
        status = _post(connection, path, json.dumps(body).encode(), headers)
    except (OSError, http.client.HTTPException):
        status = 599
    queue.put(status)


def race_round(port: int, path: str, tokens: list[str], bodies: list[dict]) -> list[int]:
    """Every client posts its body at the same moment; the statuses they got."""
    context = multiprocessing.get_context("fork")
    queue, barrier = context.Queue(), context.Barrier(len(tokens))
    processes = [context.Process(target=_racer, args=(port, path, token, body, barrier, queue))
                 for token, body in zip(tokens, bodies)]
    for process in processes:
        process.start()
    statuses = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join()
    return statuses


def median(values):
    return statistics.median(values) if values else 0.0
