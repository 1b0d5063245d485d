"""Origin verification: requests without CloudFront's secret header are refused, bare."""

from __future__ import annotations

import httpx
import pytest

from polyregion.app.origin_guard import matches
from polyregion.data.clients import RegionClients
from polyregion.data.secret import KeySet, SigningKey
from tests.app.conftest import A, AppFactory

SECRET_ID = "t-app/origin-verify-guard-test"
OLD, NEW = "old-origin-value-0123456789", "new-origin-value-9876543210"
HEADER = "x-origin-verify"


@pytest.fixture(scope="module")
def rotated(system: dict[str, RegionClients]) -> str:
    """The secret after one rotation: OLD is AWSPREVIOUS, NEW is AWSCURRENT."""
    sm = system[A].secretsmanager
    try:
        sm.create_secret(Name=SECRET_ID, SecretString=OLD)
        sm.put_secret_value(SecretId=SECRET_ID, SecretString=NEW)  # moves AWSCURRENT
    except sm.exceptions.ResourceExistsException:
        pass
    return SECRET_ID


@pytest.fixture(scope="module")
def guarded(make_app: AppFactory, rotated: str) -> str:
    return make_app(A, origin_verify_secret=rotated)


@pytest.mark.parametrize("headers", [{}, {HEADER: "wrong"}, {HEADER: ""}, {"x-other": NEW}])
def test_a_request_without_the_right_header_is_refused_without_detail(
    guarded: str, headers: dict[str, str]
) -> None:
    for path in ("/api/posts", "/", "/static/x.css", "/api/health/other"):
        r = httpx.get(f"{guarded}{path}", headers=headers)
        assert r.status_code == 403, path
        assert r.text == "Forbidden"
        assert "x-polyregion-region" not in r.headers  # not even which region answered


@pytest.mark.parametrize("value", [NEW, OLD])
def test_the_current_and_the_previous_value_get_in(guarded: str, value: str) -> None:
    r = httpx.get(f"{guarded}/api/posts", headers={HEADER: value})
    assert r.status_code == 200
    assert r.headers["x-polyregion-region"] == A


def test_health_stays_open_for_route53_checkers(guarded: str) -> None:
    for path in ("/api/health", "/api/health/live"):
        r = httpx.get(f"{guarded}{path}")
        assert r.status_code == 200, (path, r.text)
        assert httpx.head(f"{guarded}{path}").status_code == 200


def test_without_the_setting_nothing_is_checked(make_app: AppFactory) -> None:
    assert httpx.get(f"{make_app(A)}/api/posts").status_code == 200


def test_an_unreadable_secret_fails_closed(make_app: AppFactory) -> None:
    url = make_app(A, origin_verify_secret="t-app/no-such-secret")
    r = httpx.get(f"{url}/api/posts", headers={HEADER: NEW})
    assert r.status_code == 503
    assert NEW not in r.text
    assert httpx.get(f"{url}/api/health/live").status_code == 200


def test_matches_compares_every_accepted_value() -> None:
    keys = KeySet(SigningKey("v2", NEW.encode()), SigningKey("v1", OLD.encode()), fetched_at=0)
    assert matches(NEW.encode(), keys) and matches(OLD.encode(), keys)
    assert not matches(NEW.encode()[:-1], keys) and not matches(b"", keys)
    assert matches(NEW.encode(), KeySet(SigningKey("v2", NEW.encode()), None, fetched_at=0))


def test_health_covers_the_origin_verify_secret(make_app: AppFactory) -> None:
    """Defect 5: the guard answers 503 when it cannot read the secret, so a region whose
    health ignored it was healthy to Route 53 and dead to every user."""
    url = make_app(A, origin_verify_secret="t-app/origin-verify-that-does-not-exist")
    r = httpx.get(f"{url}/api/health")
    assert r.status_code == 503, r.text
    checks = r.json()["checks"]
    assert checks["origin-verify"]["status"] == "fail"
    assert checks["dynamodb"]["status"] == "ok"  # only the secret is missing
    assert httpx.get(f"{url}/api/posts", headers={HEADER: NEW}).status_code == 503


def test_health_reports_the_origin_verify_secret_when_readable(guarded: str) -> None:
    r = httpx.get(f"{guarded}/api/health")
    assert r.status_code == 200
    assert r.json()["checks"]["origin-verify"]["status"] == "ok"
