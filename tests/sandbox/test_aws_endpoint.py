"""The fault layer in front of moto: per-service down/slow/up, routed by SigV4 scope."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.responses import PlainTextResponse

from polyregion.sandbox.aws_endpoint import (
    FAULT_TOKEN_HEADER,
    FaultLayer,
    SigV4Only,
    guarded,
    is_sigv4_signed,
    signing_service,
)

pytestmark = pytest.mark.anyio


def auth(service: str) -> dict[str, str]:
    return {
        "authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/{service}/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32
    }


TOKEN = "run-token"
OWNER = {FAULT_TOKEN_HEADER: TOKEN}


async def inner(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    await PlainTextResponse("moto")(scope, receive, send)  # type: ignore[arg-type]


def test_signing_service_from_header_and_query() -> None:
    assert (
        signing_service(
            {"headers": [(b"authorization", auth("dynamodb")["authorization"].encode())]}
        )
        == "dynamodb"
    )
    assert (
        signing_service(
            {
                "headers": [],
                "query_string": b"X-Amz-Credential=AKID%2F20260101%2Feu-west-1"
                b"%2Fsecretsmanager%2Faws4_request",
            }
        )
        == "secretsmanager"
    )
    assert signing_service({"headers": [], "query_string": b""}) == "s3"
    # The replicator's writes into a region's global table fail with that region's DynamoDB.
    replica = {"path": "/_polyregion/dynamodb/apply", "headers": [], "query_string": b""}
    assert signing_service(replica) == "dynamodb"
    assert signing_service({**replica, "path": "/_polyregion/s3/replica"}) == "s3"


async def test_down_slow_and_up_per_service() -> None:
    layer = FaultLayer(inner, hang_s=0.3, token=TOKEN)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=layer), base_url="http://aws", headers=OWNER
    ) as c:
        r = await c.post("/_sandbox/faults", json={"dependency": "dynamodb", "mode": "down"})
        assert r.json()["dynamodb"] == "down"
        assert (await c.post("/", headers=auth("dynamodb"))).status_code == 503
        assert (await c.get("/bucket", headers=auth("s3"))).text == "moto"  # other services fine

        await c.post("/_sandbox/faults", json={"dependency": "secrets", "mode": "slow"})
        started = time.monotonic()
        assert (await c.post("/", headers=auth("secretsmanager"))).text == "moto"
        assert time.monotonic() - started >= 0.29  # hung for hang_s

        # Lifting the fault releases hanging calls at once.
        pending = asyncio.create_task(c.post("/", headers=auth("secretsmanager")))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await c.post("/_sandbox/faults", json={"dependency": "secrets", "mode": "up"})
        assert (await pending).text == "moto"
        assert time.monotonic() - started < 0.2

        bad = await c.post("/_sandbox/faults", json={"dependency": "sqs", "mode": "down"})
        assert bad.status_code == 400


async def test_the_endpoint_refuses_non_loopback_hosts() -> None:
    """DNS rebinding: a page whose name resolves to 127.x names its own host in Host."""
    from polyregion.sandbox.aws_endpoint import create_app

    app = create_app(hang_s=0.1, fault_token=TOKEN)
    fault = {"dependency": "dynamodb", "mode": "down"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://attacker.example", headers=OWNER
    ) as c:
        refused = await c.post("/_sandbox/faults", json=fault)
    assert refused.status_code == 421
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.1.1:8001"
    ) as c:
        assert (await c.get("/_sandbox/faults")).json()["dynamodb"] == "up"  # still up


async def test_faults_switch_only_with_the_runs_token_and_json() -> None:
    """One owner of fault state (issue 15, item 5): what the supervisor did not switch cannot
    be switched, so its record (status, heal) is the truth."""
    layer = guarded(FaultLayer(inner, token=TOKEN))  # type: ignore[arg-type]
    fault = {"dependency": "dynamodb", "mode": "down"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=layer), base_url="http://127.0.1.1:8001"
    ) as c:
        assert (await c.post("/_sandbox/faults", json=fault)).status_code == 403
        wrong = {FAULT_TOKEN_HEADER: "guess"}
        assert (await c.post("/_sandbox/faults", json=fault, headers=wrong)).status_code == 403
        text = {**OWNER, "content-type": "text/plain"}
        as_text = await c.post(
            "/_sandbox/faults", content=b'{"dependency": "dynamodb", "mode": "down"}', headers=text
        )
        assert as_text.status_code == 415
        page = {**OWNER, "origin": "https://evil.example"}
        assert (await c.post("/_sandbox/faults", json=fault, headers=page)).status_code == 403
        assert (await c.get("/_sandbox/faults")).json()["dynamodb"] == "up"
        assert (await c.post("/_sandbox/faults", json=fault, headers=OWNER)).status_code == 200
        assert (await c.get("/_sandbox/faults")).json()["dynamodb"] == "down"


def test_sigv4_shape() -> None:
    signed = {"headers": [(b"authorization", auth("s3")["authorization"].encode())]}
    assert is_sigv4_signed(signed)
    assert not is_sigv4_signed({"headers": [(b"authorization", b"AWS AKID:sig")]})  # SigV2
    assert not is_sigv4_signed({"headers": [], "query_string": b""})
    presigned = (
        b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3"
        b"%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&"
        b"X-Amz-SignedHeaders=host&X-Amz-Signature=" + b"ab" * 32
    )
    assert is_sigv4_signed({"headers": [], "query_string": presigned})


async def test_unsigned_and_browser_requests_never_reach_the_aws_apis() -> None:
    """Issue 15, item 6: a page's form POST (unsigned, with an Origin) cannot plant an object."""
    app = guarded(SigV4Only(inner))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.1.1:8001"
    ) as c:
        form = await c.post(
            "/bucket",
            data={"key": "covers/x.png", "file": "<script>"},
        )
        assert form.status_code == 403
        assert (await c.put("/bucket/covers/x.png", content=b"<html>")).status_code == 403
        browser = {**auth("s3"), "origin": "https://evil.example"}
        assert (await c.put("/bucket/k", content=b"x", headers=browser)).status_code == 403
        assert (await c.put("/bucket/k", content=b"x", headers=auth("s3"))).text == "moto"
        # The sandbox's own internal paths stay unsigned (the replicator), browsers refused.
        assert (await c.get("/_polyregion/dynamodb/stream-wait")).text == "moto"
        internal = await c.post("/_polyregion/s3/replica", headers={"origin": "null"})
        assert internal.status_code == 403


async def test_dynamodb_calls_run_on_the_loop_thread_others_on_the_pool() -> None:
    """InlineCalls: DynamoDB, DynamoDB Streams and replica writes are answered by the WSGI app
    on the event loop's thread, body and response intact; everything else (long polls, S3,
    Secrets Manager) still goes to the worker pool; a failing call is a 500."""
    import threading

    from polyregion.sandbox.aws_endpoint import InlineCalls

    seen: list[tuple[str, int, bytes]] = []

    def wsgi(environ: dict, start_response: object) -> list[bytes]:  # type: ignore[type-arg]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if body == b"boom":
            raise RuntimeError("a moto bug")
        seen.append((environ["PATH_INFO"], threading.get_ident(), body))
        start_response("201 Created", [("Content-Type", "application/x-amz-json-1.0")])  # type: ignore[operator]
        return [b'{"ok":', b" true}"]

    pooled: list[str] = []

    async def pool(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        pooled.append(scope["path"])
        await PlainTextResponse("pool")(scope, receive, send)  # type: ignore[arg-type]

    app = InlineCalls(pool, wsgi)  # type: ignore[arg-type]
    loop_thread = threading.get_ident()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aws"
    ) as c:
        for target in ("DynamoDB_20120810.PutItem", "DynamoDBStreams_20120810.GetRecords"):
            r = await c.post("/", content=b"x" * 70_000, headers={"x-amz-target": target})
            assert r.status_code == 201 and r.json() == {"ok": True}
            assert r.headers["content-type"] == "application/x-amz-json-1.0"
        r = await c.post("/_polyregion/dynamodb/apply", content=b"{}")
        assert r.status_code == 201
        assert [(p, t, len(b)) for p, t, b in seen] == [
            ("/", loop_thread, 70_000), ("/", loop_thread, 70_000),
            ("/_polyregion/dynamodb/apply", loop_thread, 2),
        ]  # fmt: skip
        for path, headers in (
            ("/_polyregion/dynamodb/stream-wait", {}),
            ("/bucket/key", {}),
            ("/", {"x-amz-target": "secretsmanager.GetSecretValue"}),
        ):
            assert (await c.get(path, headers=headers)).text == "pool"
        assert pooled == ["/_polyregion/dynamodb/stream-wait", "/bucket/key", "/"]
        failed = await c.post("/", content=b"boom", headers={"x-amz-target": "DynamoDB_x.Y"})
        assert failed.status_code == 500
