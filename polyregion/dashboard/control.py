"""An async client for the sandbox's control API: the only thing the dashboard talks to.

`polyregion.sandbox.client.SandboxClient` is the synchronous client the CLI and drills use; the
dashboard polls from an event loop every 500 ms, so it speaks the same three documented calls
(`GET /status`, `GET /events?since=`, `POST /fault`) with httpx's async client instead of
blocking a thread per poll. The transport is injectable so tests can point it at a fake server.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from polyregion.errors import SandboxError

FAULT_TIMEOUT_S: Final = 60.0


class ControlUnavailable(SandboxError):
    """The control API did not answer (the sandbox is not running, or is shutting down)."""


class ControlRejected(SandboxError):
    """The control API answered with an error (e.g. an unknown region): carries its message."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        super().__init__(message)


class ControlClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # trust_env=False: a proxy from the environment must never see loopback control traffic.
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout_s, transport=transport, trust_env=False
        )

    async def status(self) -> dict[str, Any]:
        body = await self._request("GET", "/status")
        if not isinstance(body, dict):
            raise ControlUnavailable(f"{self.base_url}/status did not return a JSON object")
        return body

    async def events(self, since: int) -> list[dict[str, Any]]:
        body = await self._request("GET", "/events", params={"since": since})
        events = body.get("events") if isinstance(body, dict) else None
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []

    async def fault(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Reviving a region waits for its app to listen again: seconds, not milliseconds.
        body = await self._request("POST", "/fault", json=payload, timeout=FAULT_TIMEOUT_S)
        return body if isinstance(body, dict) else {"result": body}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ControlUnavailable(
                f"control API {self.base_url} unreachable ({type(exc).__name__}): "
                "is `polyregion up` running?"
            ) from exc
        if response.status_code >= 400:
            raise ControlRejected(response.status_code, _error_message(response))
        try:
            return response.json()
        except ValueError as exc:
            raise ControlUnavailable(f"{self.base_url}{path} returned invalid JSON") from exc


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return f"HTTP {response.status_code}"
