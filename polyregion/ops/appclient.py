"""Synthetic user of the app, one per location, through its edge: the topology's `[drill]`.

Every call returns a `Sample`, failures included: a drill measures errors, it does not raise on
them. Nothing here knows the app: reads are GETs of `[drill] read_paths`, writes are
`[drill.write]` with the drill id in place of `{id}`, read-backs GET its `read_back` path.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from polyregion.ops.model import Op, Sample
from polyregion.ops.workload import Workload

if TYPE_CHECKING:
    import httpx

# Which region answered: the app's own header (the bundled blog sets x-polyregion-region);
# without one the target attributes the answer to the region the
# location's edge uses (sandbox_target.py).
REGION_HEADERS = ("x-polyregion-region", "x-region")


class AppClient:
    def __init__(
        self,
        location: str,
        base_url: str,
        workload: Workload,
        *,
        timeout_s: float = 1.0,
        client: httpx.Client | None = None,
    ) -> None:
        import httpx

        self.location = location
        self.workload = workload
        self.http = client or httpx.Client(
            base_url=base_url, timeout=timeout_s, follow_redirects=False
        )

    def read(self, n: int) -> Sample:
        return self._call("read", "GET", self.workload.read_path(n), None, None, None, None)

    def write(self, seq: int, key: str) -> Sample:
        req = self.workload.write_request(key)
        return self._call("write", req.method, req.path, req.body, req.content_type, seq, key)

    def read_back(self, key: str) -> Sample:
        """GET the write's read-back path: ok (2xx) means this location sees the write."""
        path = self.workload.read_back_path(key)
        return self._call("read", "GET", path, None, None, None, key)

    def _call(
        self,
        op: Op,
        method: str,
        path: str,
        body: bytes | None,
        content_type: str | None,
        seq: int | None,
        key: str | None,
    ) -> Sample:
        import httpx

        start = time.time()
        headers = {"content-type": content_type} if content_type else {}
        try:
            resp = self.http.request(method, path, content=body, headers=headers)
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
        region = next((resp.headers[h] for h in REGION_HEADERS if h in resp.headers), None)
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
