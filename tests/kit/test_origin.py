"""Origin verification as ASGI and WSGI middleware, and the health check it adds."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from polyregion.kit import HealthChecker, OriginGuard, OriginGuardWSGI, SecretKeyProvider
from polyregion.kit.keys import KeySet, SigningKey
from polyregion.kit.origin import matches

OLD, NEW = "old-origin-value-0123456789", "new-origin-value-9876543210"
HEADER = "x-origin-verify"


class NotFound(Exception):
    pass


class FakeSecretsManager:
    """AWSCURRENT = NEW, AWSPREVIOUS = OLD; `down` makes every call fail."""

    class exceptions:
        ResourceNotFoundException = NotFound

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ConnectionError("secrets manager unreachable")
        value = NEW if VersionStage == "AWSCURRENT" else OLD
        return {"SecretString": value, "VersionId": VersionStage.lower()}


def provider(sm: FakeSecretsManager) -> SecretKeyProvider:
    return SecretKeyProvider(lambda: sm, "app/origin-verify", max_age_s=60)  # type: ignore[arg-type,return-value]


async def hello(_request: Any) -> PlainTextResponse:
    return PlainTextResponse("hello")


def asgi_get(app: Any, path: str, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({HEADER: "wrong"}, 403),
        ({HEADER: ""}, 403),
        ({HEADER: NEW}, 200),
        ({HEADER: OLD}, 200),
    ],
)
def test_asgi_guard_admits_current_and_previous_values_only(
    headers: dict[str, str], status: int
) -> None:
    app = OriginGuard(
        Starlette(routes=[Route("/", hello), Route("/health", hello)]),
        header=HEADER,
        keys=provider(FakeSecretsManager()),
        open_paths={"/health"},
    )
    r = asgi_get(app, "/", headers)
    assert r.status_code == status
    if status == 403:
        assert r.text == "Forbidden" and NEW not in r.text
    assert asgi_get(app, "/health", {}).status_code == 200


def test_a_region_that_cannot_read_the_secret_refuses_and_reports_degraded() -> None:
    """Issue 13 defect 5: the guard's 503s must show in health, or Route 53 keeps sending
    users to a region that refuses all of them."""
    sm = FakeSecretsManager()
    sm.down = True
    health = HealthChecker("r1", {"table": lambda: None}, timeout_s=1, cache_s=0)
    app = OriginGuard(
        Starlette(routes=[Route("/", hello)]),
        header=HEADER,
        keys=provider(sm),
        health=health,
    )
    assert asgi_get(app, "/", {HEADER: NEW}).status_code == 503
    report = asyncio.run(health.report())
    assert report.http_status == 503
    assert report.checks["origin-verify"].status == "fail"
    assert report.checks["table"].status == "ok"
    sm.down = False
    assert asyncio.run(health.report()).healthy


def test_wsgi_guard_behaves_the_same() -> None:
    sm = FakeSecretsManager()
    health = HealthChecker("r1", {}, timeout_s=1, cache_s=0)

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"hello"]

    app = OriginGuardWSGI(
        inner, header="X-Origin-Verify", keys=provider(sm), open_paths={"/health"}, health=health
    )

    def call(path: str, value: str | None) -> tuple[str, bytes]:
        environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
        if value is not None:
            environ["HTTP_X_ORIGIN_VERIFY"] = value
        seen: list[str] = []
        body = b"".join(app(environ, lambda status, headers: seen.append(status)))
        return seen[0], body

    assert call("/", NEW) == ("200 OK", b"hello")
    assert call("/", OLD) == ("200 OK", b"hello")
    assert call("/", "nope") == ("403 Forbidden", b"Forbidden")
    assert call("/", None) == ("403 Forbidden", b"Forbidden")
    assert call("/health", None) == ("200 OK", b"hello")
    assert "origin-verify" in health.checks
    sm.down = True
    assert health.report_sync().checks["origin-verify"].status == "fail"


def test_junk_values_cannot_hammer_secrets_manager() -> None:
    sm = FakeSecretsManager()
    app = OriginGuard(Starlette(routes=[Route("/", hello)]), header=HEADER, keys=provider(sm))
    for _ in range(20):
        assert asgi_get(app, "/", {HEADER: "junk"}).status_code == 403
    assert sm.calls <= 4  # one fetch (current + previous), at most one refetch per 5 s


def test_matches_compares_every_accepted_value() -> None:
    keys = KeySet(SigningKey("v2", NEW.encode()), SigningKey("v1", OLD.encode()), fetched_at=0)
    assert matches(NEW.encode(), keys) and matches(OLD.encode(), keys)
    assert not matches(NEW.encode()[:-1], keys) and not matches(b"", keys)
    assert matches(NEW.encode(), KeySet(SigningKey("v2", NEW.encode()), None, fetched_at=0))
