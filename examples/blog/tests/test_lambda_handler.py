"""The Lambda entry point with Function URL events (payload format 2.0, as Lambda sends them
through a CloudFront origin), run in-process against the moto server."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from blog import lambda_handler

from polyregion.data.clients import clients_for
from polyregion.data.provision import provision_region
from polyregion.topology import load

EVENTS = Path(__file__).parent / "events"
pytestmark = pytest.mark.functional


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> None:
    config = tmp_path / "polyregion.toml"
    # a generous check timeout: this test is about the Lambda path, not about timing
    config.write_text('[app]\nname = "t-lambda"\n[health]\ncheck_timeout_ms = 1500\n')
    provision_region(load(config), "us-east-1", clients_for("us-east-1", {"us-east-1": moto_url}))
    # What the Lambda runtime and the function's configuration provide.
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("POLYREGION_REGION", raising=False)
    monkeypatch.setenv("POLYREGION_CONFIG", str(config))
    monkeypatch.setenv("POLYREGION_AWS_ENDPOINTS", json.dumps({"us-east-1": moto_url}))
    monkeypatch.setattr(lambda_handler, "_handler", None)
    monkeypatch.setattr(lambda_handler, "_app", None)


@pytest.mark.usefixtures("lambda_env")
def test_function_url_get_reaches_the_deep_health_check() -> None:
    out = lambda_handler.handler(event("function_url_get.json"), None)
    assert out["statusCode"] == 200, out["body"]
    assert out["headers"]["x-polyregion-region"] == "us-east-1"
    body = json.loads(out["body"])
    assert body["status"] == "healthy" and body["region"] == "us-east-1"


@pytest.mark.usefixtures("lambda_env")
def test_the_declared_asgi_handler_runs_through_the_shim_polyregion_build_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/blog/polyregion.toml: `[app.lambda] handler = "blog.lambda_handler:app"`."""
    from polyregion.infra.app_package import ASGI_SHIM, asgi_shim
    from polyregion.topology.load import load as load_topology

    declared = load_topology(Path(lambda_handler.__file__).parents[1] / "polyregion.toml")
    assert declared.app_lambda.handler == "blog.lambda_handler:app"
    (tmp_path / f"{ASGI_SHIM}.py").write_text(asgi_shim(declared.app_lambda.handler))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, ASGI_SHIM, raising=False)
    shim = importlib.import_module(ASGI_SHIM)
    out = shim.handler(event("function_url_get.json"), None)
    assert out["statusCode"] == 200, out["body"]
    assert json.loads(out["body"])["region"] == "us-east-1"


@pytest.mark.usefixtures("lambda_env")
def test_function_url_post_sets_cookies_the_v2_way() -> None:
    out = lambda_handler.handler(event("function_url_post_users.json"), None)
    assert out["statusCode"] == 201, out
    names = {c.split("=", 1)[0] for c in out["cookies"]}
    assert names == {"pr_session", "pr_csrf"}
    assert all("Secure" in c and "HttpOnly" in c for c in out["cookies"])
    assert json.loads(out["body"])["username"] == "lambda-user"
    # the same warm handler serves the next invocation
    assert lambda_handler.handler(event("function_url_get.json"), None)["statusCode"] == 200


def test_behind_cloudfront_only_requests_with_the_origin_header_get_in(
    lambda_env: None, monkeypatch: pytest.MonkeyPatch, moto_url: str
) -> None:
    topology = load(None)  # POLYREGION_CONFIG from lambda_env
    value = "lambda-origin-value-0123456789abcdef"
    provision_region(
        topology,
        "us-east-1",
        clients_for("us-east-1", {"us-east-1": moto_url}),
        origin_verify_value=value,
    )
    monkeypatch.setenv("POLYREGION_ORIGIN_VERIFY_SECRET", "t-lambda/origin-verify")
    # Health first, as Route 53 sends it: no header, and the value is already read (cold start).
    assert lambda_handler.handler(event("function_url_get.json"), None)["statusCode"] == 200
    assert lambda_handler._handler.app.context.origin_keys.cached() is not None
    post = event("function_url_post_users.json")
    body = json.dumps({"username": "guarded-user", "password": "lambda-pass-1"})
    post["body"] = base64.b64encode(body.encode()).decode()
    refused = lambda_handler.handler(post, None)
    assert refused["statusCode"] == 403 and refused["body"] == "Forbidden"
    post["headers"]["x-origin-verify"] = value
    assert lambda_handler.handler(post, None)["statusCode"] == 201
