"""A fault-injecting JSON-RPC proxy on 127.0.0.1 for tests.

It forwards each POST to the real node and, following a plan, fails some requests the way a flaky
network or node does: the connection drops before forwarding, the node's response is lost after
the node acted on the request, the response comes too late, or the proxy returns HTTP 502.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from tests.chains import free_port

DROP_BEFORE = "drop-before"  # close the connection without forwarding
DROP_AFTER = "drop-after"  # forward, then close the connection without responding
DELAY = "delay"  # forward, then respond after `delay_seconds`
BAD_GATEWAY = "bad-gateway"  # answer HTTP 502 without forwarding


class FaultPlan:
    """Which requests fail and how: the next ``count`` calls of ``method`` get ``fault``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[list] = []
        self.delay_seconds = 2.0
        self.seen: Counter[str] = Counter()

    def add(self, method: str, fault: str, count: int = 1) -> None:
        with self._lock:
            self._faults.append([method, fault, count])

    def clear(self) -> None:
        """Drop every fault still planned: the network heals."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str) -> str | None:
        with self._lock:
            self.seen[method] += 1
            for entry in self._faults:
                if entry[0] in (method, "*") and entry[2] > 0:
                    entry[2] -= 1
                    return entry[1]
        return None


class FaultyRpcProxy:
    """Serve on a free 127.0.0.1 port and forward to ``upstream`` under ``plan``."""

    def __init__(self, upstream: str) -> None:
        self.plan = FaultPlan()
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    method = json.loads(body).get("method", "")
                except ValueError:
                    method = ""
                fault = proxy.plan.take(method)
                if fault == DROP_BEFORE:
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == BAD_GATEWAY:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = requests.post(proxy.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30)
                if fault == DROP_AFTER:
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == DELAY:
                    time.sleep(proxy.plan.delay_seconds)
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                try:
                    self.wfile.write(upstream.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
