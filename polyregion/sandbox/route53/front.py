"""The Route 53 API front: a small WSGI proxy on loopback in front of moto's Route 53.

The sandbox publishes its URL as `route53_endpoint`; `aws route53 --endpoint-url` and boto3
work against it. Everything is forwarded to moto except:
- GetHealthCheckStatus, answered from the emulated checkers' real observations in the AWS XML
  shape (moto's answer is a fixed "Success");
- UpdateHealthCheck without Regions: moto would erase the stored Regions, AWS keeps them, so
  the stored ones are added to the request before it is forwarded.
After every successful change the mirror re-reads moto, so an Inverted/Disabled update reaches
the checkers and the DNS answers before the API call returns.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from polyregion.errors import SandboxError
from polyregion.sandbox.loopback import is_loopback_host
from polyregion.sandbox.route53.checkers import HealthCheckers, HealthStatus
from polyregion.sandbox.route53.mirror import Route53Mirror

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

log = logging.getLogger(__name__)
NS: Final = "https://route53.amazonaws.com/doc/2013-04-01/"
STATUS_PATH: Final = re.compile(r"^/2013-04-01/healthcheck/([^/]+)/status$")
CHECK_PATH: Final = re.compile(r"^/2013-04-01/healthcheck/([^/]+)$")
HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
CHECKER_IP: Final = "127.0.0.1"  # AWS shows each checker's own address; all are local here

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def status_xml(status: HealthStatus) -> bytes:
    """GetHealthCheckStatusResponse, one observation per checker region that has probed."""
    parts = []
    for o in status.observations:
        if o.last is None or o.checked_at is None:
            continue
        when = datetime.fromtimestamp(o.checked_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        parts.append(
            "<HealthCheckObservation>"
            f"<Region>{escape(o.checker_region)}</Region><IPAddress>{CHECKER_IP}</IPAddress>"
            f"<StatusReport><Status>{escape(o.last.report)}</Status>"
            f"<CheckedTime>{when}Z</CheckedTime></StatusReport>"
            "</HealthCheckObservation>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<GetHealthCheckStatusResponse xmlns="{NS}"><HealthCheckObservations>'
        + "".join(parts)
        + "</HealthCheckObservations></GetHealthCheckStatusResponse>"
    ).encode()


def keep_regions(body: bytes, stored: list[str]) -> bytes:
    """Add the stored <Regions> to an UpdateHealthCheckRequest that has none (moto bug)."""
    if not body or not stored:
        return body
    try:
        root = ET.fromstring(body)  # noqa: S314 - loopback API, request from the local user
    except ET.ParseError:
        return body  # let moto report the malformed request
    local = {child.tag.rsplit("}", 1)[-1]: child for child in root}
    resets = [e.text for e in root.iter() if e.tag.endswith("ResettableElementName")]
    if "Regions" in local or "Regions" in resets:
        return body
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
    regions = ET.SubElement(root, q("Regions"))
    for r in stored:
        ET.SubElement(regions, q("Region")).text = r
    if ns:
        ET.register_namespace("", ns)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error></ErrorResponse>"
    ).encode()


class Route53Front:
    """WSGI app + its loopback server. `moto_client` talks to moto directly (not via the front)."""

    def __init__(
        self,
        moto_url: str,
        moto_client: Route53Client,
        checkers: HealthCheckers,
        mirror: Route53Mirror | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise SandboxError(f"Route 53 front host {host} is not a loopback address")
        parts = urlsplit(moto_url)
        self._moto = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.moto_client = moto_client
        self.checkers = checkers
        self.mirror = mirror
        self.host, self.requested_port = host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise SandboxError("Route 53 front is not started")
        return f"http://{self.host}:{self._server.server_port}"

    # -- WSGI -------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        if not is_loopback_host(host):  # DNS rebinding: a web page names its own host
            start_response("421 Misdirected Request", [("Content-Type", "text/xml")])
            return [_error("InvalidInput", f"this API serves loopback hosts only, not {host!r}")]
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if method == "GET" and (m := STATUS_PATH.match(path)):
            answer = self._status(m.group(1))
            if answer is not None:
                start_response("200 OK", [("Content-Type", "text/xml")])
                return [answer]
        if method == "POST" and (m := CHECK_PATH.match(path)):
            body = self._with_stored_regions(m.group(1), body)
        status, headers, payload = self._forward(environ, method, body)
        if method in ("POST", "DELETE") and status.startswith("2") and self.mirror is not None:
            try:
                self.mirror.sync()
            except Exception:
                log.warning("route53 front: sync after %s %s failed", method, path, exc_info=True)
        start_response(status, headers)
        return [payload]

    def _status(self, check_id: str) -> bytes | None:
        if check_id not in self.checkers.ids() and self.mirror is not None:
            self.mirror.sync()  # created a moment ago, through moto directly
        if check_id not in self.checkers.ids():
            return None  # not probed by us: moto answers (or says NoSuchHealthCheck)
        return status_xml(self.checkers.status(check_id))

    def _with_stored_regions(self, check_id: str, body: bytes) -> bytes:
        try:
            cfg = self.moto_client.get_health_check(HealthCheckId=check_id)["HealthCheck"]
        except Exception:
            return body  # unknown id: moto gives the proper error
        return keep_regions(body, list(cfg["HealthCheckConfig"].get("Regions", [])))

    def _forward(
        self, environ: dict[str, Any], method: str, body: bytes
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        target = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING") and "?" not in target:
            target += "?" + environ["QUERY_STRING"]
        headers = {
            k[5:].replace("_", "-").title(): v
            for k, v in environ.items()
            if k.startswith("HTTP_") and k[5:].replace("_", "-").lower() not in HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Content-Length"] = str(len(body))
        headers["Host"] = f"{self._moto[0]}:{self._moto[1]}"
        conn = http.client.HTTPConnection(*self._moto, timeout=30)
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            return f"{resp.status} {resp.reason}", out, payload
        except OSError as exc:
            msg = f"moto Route 53 at {self._moto[0]}:{self._moto[1]} unreachable ({exc})"
            return (
                "502 Bad Gateway",
                [("Content-Type", "text/xml")],
                _error("ServiceUnavailable", msg),
            )
        finally:
            conn.close()

    # -- server -----------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            # werkzeug prints every request to stderr; the sandbox's terminal is for people.
            def log(self, type: str, message: str, *args: Any) -> None:
                log.debug("route53 api: " + message, *args)

        try:
            self._server = make_server(
                self.host, self.requested_port, self, threaded=True, request_handler=QuietHandler
            )
        except OSError as exc:
            raise SandboxError(
                f"Route 53 API port {self.host}:{self.requested_port} is unavailable ({exc})"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="r53-front", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
