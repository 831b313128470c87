"""The demo's short API session: the service under uvicorn on 127.0.0.1, called over HTTP with httpx."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass

import httpx
import uvicorn
from rich.console import Console

from twinledger.api import create_app
from twinledger.errors import TwinLedgerError
from twinledger.services.context import AppContext

__all__ = ["ApiSessionResult", "run_api_session"]


class DemoApiError(TwinLedgerError):
    """The demo's API session got a response it did not expect."""


@dataclass(frozen=True)
class ApiSessionResult:
    url: str
    usage_id: str
    tx_hash: str
    requests: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """uvicorn in a thread of this process: the embedded chain lives in this process too."""

    def __init__(self, context: AppContext) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(context), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="demo-api", daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise DemoApiError(f"the API server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def _expect(response: httpx.Response, status: int) -> dict:
    if response.status_code != status:
        raise DemoApiError(
            f"{response.request.method} {response.request.url.path} returned {response.status_code}, "
            f"expected {status}: {response.text}"
        )
    return response.json()


def run_api_session(
    context: AppContext, console: Console, *, twin_id: int, terms_id: int, license_id: int,
    asset_hash: str, brand_role: str, model_address: str,
) -> ApiSessionResult:
    """Start the API, then read a twin, quote, post a usage twice, wait for it and read balances."""
    key = context.api_keys.create("demo client")
    usage_id = str(uuid.uuid4())
    usage = {"usage_id": usage_id, "license_id": license_id, "asset_hash": asset_hash, "quantity": 1, "channel": "social", "territory": "US"}
    requests = 0
    with _Server(context) as server:
        console.print(f"  API listening on {server.url} (OpenAPI docs at {server.url}/docs)")
        headers = {"X-API-Key": key.secret}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            twin = _expect(http.get(f"/twins/{twin_id}"), 200)
            console.print(f"  GET  /twins/{twin_id}                -> owner {twin['owner']}, split v{twin['split_version']}")
            quote = _expect(http.get(f"/terms/{terms_id}/quote", params={"uses": 10}), 200)
            console.print(
                f"  GET  /terms/{terms_id}/quote?uses=10    -> upfront {quote['upfront_fee']}, "
                f"10 uses {quote['usage_fee']} {quote['currency']['symbol']} (smallest unit)"
            )
            acting = {"X-TwinLedger-Account": brand_role}
            first = _expect(http.post("/usages", json=usage, headers=acting), 202)
            console.print(f"  POST /usages                  -> 202 {first['status']} ({usage_id})")
            again = _expect(http.post("/usages", json=usage, headers=acting), 200)
            if again["usage_ref"] != first["usage_ref"] or again["created_at"] != first["created_at"]:
                raise DemoApiError(f"the repeated post of usage {usage_id} returned a different usage")
            console.print(f"  POST /usages (same usage id)  -> 200 {again['status']}, the same usage, no new row")
            requests = 4
            deadline = time.monotonic() + 60
            while True:
                current = _expect(http.get(f"/usages/{usage_id}"), 200)
                requests += 1
                if current["status"] in ("confirmed", "rejected") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            if current["status"] != "confirmed":
                raise DemoApiError(f"usage {usage_id} ended {current['status']}: {current['error_message']}")
            console.print(
                f"  GET  /usages/{{id}}             -> confirmed in block {current['block_number']}, tx {current['tx_hash'][:18]}…"
            )
            balances = _expect(http.get(f"/balances/{model_address}"), 200)
            requests += 1
            credited = ", ".join(f"{b['credited']} {b['currency']['symbol']}" for b in balances["balances"])
            console.print(f"  GET  /balances/{{model}}        -> credited {credited} (smallest unit)")
    context.api_keys.revoke(key.info.key_id)
    return ApiSessionResult(server.url, usage_id, current["tx_hash"], requests)
