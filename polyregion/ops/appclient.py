"""Synthetic user of the regional app's JSON API, one per location, through its edge.

Keeps a cookie jar (the session) and the CSRF token like a browser would; every call returns a
`Sample`, failures included: a drill measures errors, it does not raise on them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from polyregion.ops.model import Op, Sample

if TYPE_CHECKING:
    import httpx

REGION_HEADERS = ("x-polyregion-region", "x-region")
CSRF_HEADER = "x-csrf-token"
SETUP_TIMEOUT_S = 15.0


class AppClient:
    def __init__(
        self,
        location: str,
        base_url: str,
        *,
        timeout_s: float = 1.0,
        host: str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        import httpx

        self.location = location
        headers = {"host": host} if host else {}
        self.http = client or httpx.Client(
            base_url=base_url, timeout=timeout_s, headers=headers, follow_redirects=False
        )
        self.csrf: str | None = None

    # -- setup (raise on failure: a drill cannot start without a user) --------------------
    def sign_in(self, username: str, password: str) -> None:
        """Sign up (which signs in), or sign in if the user exists; keeps cookie and CSRF."""
        creds = {"username": username, "password": password}
        # Password hashing (scrypt) is slow by design: setup calls get a generous timeout,
        # unlike the measured traffic.
        resp = self.http.post("/api/users", json=creds, timeout=SETUP_TIMEOUT_S)
        if resp.status_code != 201:
            resp = self.http.post("/api/session", json=creds, timeout=SETUP_TIMEOUT_S)
        resp.raise_for_status()
        body = _json(resp)
        self.csrf = body.get("csrf_token") or resp.headers.get(CSRF_HEADER)

    # -- measured calls ---------------------------------------------------------------------
    def read(self, slug: str) -> Sample:
        return self._call("read", "GET", f"/api/posts/{slug}", None, None, None)

    def read_path(self, path: str) -> Sample:
        return self._call("read", "GET", path, None, None, None)

    def write(self, seq: int, key: str) -> Sample:
        body = {"title": key, "slug": key, "body": f"drill write {seq} from {self.location}"}
        return self._call("write", "POST", "/api/posts", body, seq, key)

    def _call(
        self, op: Op, method: str, path: str, body: Any, seq: int | None, key: str | None
    ) -> Sample:
        import httpx

        start = time.time()
        headers = {CSRF_HEADER: self.csrf} if self.csrf and method != "GET" else {}
        try:
            resp = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return Sample(
                start,
                self.location,
                op,
                False,
                time.time() - start,
                seq=seq,
                key=key,
                error=type(exc).__name__,
            )
        ok = 200 <= resp.status_code < 300
        data = _json(resp) if ok else {}
        region = next((resp.headers[h] for h in REGION_HEADERS if h in resp.headers), None)
        region = region or data.get("region") or data.get("served_by")
        if op == "write" and ok:
            key = data.get("slug", key)
        return Sample(
            start,
            self.location,
            op,
            ok,
            time.time() - start,
            status=resp.status_code,
            region=region,
            seq=seq,
            key=key,
            error=None if ok else f"HTTP {resp.status_code}",
        )

    def close(self) -> None:
        self.http.close()


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
