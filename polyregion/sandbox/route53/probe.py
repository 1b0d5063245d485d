"""One Route 53 HTTP health probe: TCP connect within a budget, then a 2xx/3xx within another.

Route 53's HTTP check connects within 4 s and wants a 2xx/3xx status within 2 s after that
[aws-facts: health checks]; the budgets come from the timing profile. The sandbox only ever
probes loopback addresses: anything else is refused here, before a packet leaves.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Final, Protocol

USER_AGENT: Final = "Amazon-Route53-Health-Check-Service (ref polyregion-sandbox)"


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    ip: str
    port: int
    path: str
    host: str | None = None  # FullyQualifiedDomainName: sent as Host; else the IP is
    kind: str = "HTTP"  # "HTTP" or "TCP" (connect only)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    status_code: int | None
    latency_s: float
    detail: str  # Route 53's wording: "HTTP Status Code 200, OK", "Connection refused"...

    @property
    def report(self) -> str:
        """The StatusReport.Status text of GetHealthCheckStatus."""
        return f"{'Success' if self.ok else 'Failure'}: {self.detail}"


class Probe(Protocol):
    def __call__(
        self, target: ProbeTarget, connect_timeout_s: float, response_timeout_s: float
    ) -> ProbeResult: ...


def http_probe(
    target: ProbeTarget, connect_timeout_s: float, response_timeout_s: float
) -> ProbeResult:
    """Probe `http://ip:port/path` the way a Route 53 checker does (TCP kind: connect only)."""
    started = time.perf_counter()

    def failed(detail: str, code: int | None = None) -> ProbeResult:
        return ProbeResult(False, code, time.perf_counter() - started, detail)

    if not ipaddress.ip_address(target.ip).is_loopback:
        return failed(f"refused: {target.ip} is not a loopback address (sandbox rule)")
    try:
        sock = socket.create_connection((target.ip, target.port), timeout=connect_timeout_s)
    except TimeoutError:
        return failed("Connection timed out")
    except OSError as exc:
        return failed(exc.strerror or type(exc).__name__)
    if target.kind == "TCP":
        sock.close()
        return ProbeResult(True, None, time.perf_counter() - started, "TCP connection established")
    conn = http.client.HTTPConnection(target.ip, target.port)
    try:
        sock.settimeout(response_timeout_s)
        conn.sock = sock
        conn.request(
            "GET",
            target.path,
            headers={"Host": target.host or target.ip, "User-Agent": USER_AGENT},
        )
        resp = conn.getresponse()
        code, reason = resp.status, resp.reason
        resp.close()
    except TimeoutError:
        return failed("The request timed out waiting for the response")
    except (OSError, http.client.HTTPException) as exc:
        return failed(f"Invalid response ({type(exc).__name__})")
    finally:
        conn.close()
    if time.perf_counter() - started > connect_timeout_s + response_timeout_s:
        return failed(f"HTTP Status Code {code}, {reason} (too slow)", code)
    if 200 <= code < 400:
        return ProbeResult(
            True, code, time.perf_counter() - started, f"HTTP Status Code {code}, {reason}"
        )
    return failed(f"HTTP Status Code {code}, {reason}", code)
