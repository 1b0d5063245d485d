"""`SandboxClient`: the one way the CLI, drills and the dashboard talk to a running sandbox.

A thin, typed wrapper around the control API (docs/sandbox.md). Errors become SandboxError
with a message a person can act on (is it running? which URL?).
"""

from __future__ import annotations

from typing import Any, cast

import httpx

from polyregion.errors import SandboxError
from polyregion.sandbox.status_types import SandboxStatus
from polyregion.topology.model import Topology

# A fault answers once it is applied: `revive` waits until the app listens again, which may
# take the topology's whole app start timeout on a loaded machine (then some slack).
FAULT_SLACK_S = 30.0


class SandboxClient:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        fault_timeout_s: float = 30.0 + FAULT_SLACK_S,
        client: httpx.Client | None = None,
    ):
        self.url = url.rstrip("/")
        self.fault_timeout_s = max(timeout_s, fault_timeout_s)
        self._client = client or httpx.Client(timeout=timeout_s, trust_env=False)

    @classmethod
    def for_topology(cls, topology: Topology, **kwargs: Any) -> SandboxClient:
        kwargs.setdefault("fault_timeout_s", topology.sandbox.app_start_timeout_s + FAULT_SLACK_S)
        return cls(f"http://127.0.0.1:{topology.sandbox.control_port}", **kwargs)

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the API ------------------------------------------------------------------------
    def status(self) -> SandboxStatus:
        """The status JSON (docs/sandbox.md; typed in status_types.py)."""
        return cast("SandboxStatus", self._call("GET", "/status"))

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """Events with seq > since, oldest first."""
        events: list[dict[str, Any]] = self._call("GET", "/events", params={"since": since})[
            "events"
        ]
        return events

    def post_event(
        self,
        kind: str,
        message: str = "",
        *,
        region: str | None = None,
        location: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event (drills mark their phases so the timeline shows them)."""
        body = {
            "kind": kind,
            "message": message,
            "region": region,
            "location": location,
            "detail": detail or {},
        }
        return self._call("POST", "/events", json=body)

    def fault(self, action: str, **params: Any) -> dict[str, Any]:
        """Inject or clear a fault: kill, revive, dependency, partition, heal."""
        return self._call(
            "POST", "/fault", json={"action": action, **params}, timeout=self.fault_timeout_s
        )

    def kill(self, region: str) -> dict[str, Any]:
        return self.fault("kill", region=region)

    def revive(self, region: str) -> dict[str, Any]:
        return self.fault("revive", region=region)

    def dependency(self, region: str, dependency: str, mode: str) -> dict[str, Any]:
        return self.fault("dependency", region=region, dependency=dependency, mode=mode)

    def partition(self, a: str, b: str) -> dict[str, Any]:
        return self.fault("partition", regions=[a, b])

    def heal(self) -> dict[str, Any]:
        return self.fault("heal")

    def is_running(self) -> bool:
        try:
            self._client.get(f"{self.url}/status", timeout=2.0)
        except httpx.HTTPError:
            return False
        return True

    # -- plumbing -----------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(method, f"{self.url}{path}", **kwargs)
        except httpx.ConnectError:
            raise SandboxError(
                f"no sandbox answers at {self.url}; start one with `polyregion up`"
            ) from None
        except httpx.HTTPError as exc:
            raise SandboxError(f"the sandbox at {self.url} did not answer: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise SandboxError(message or f"{method} {path}: HTTP {response.status_code}")
        if not isinstance(data, dict):
            raise SandboxError(f"{method} {path}: unexpected answer from the sandbox")
        return data
