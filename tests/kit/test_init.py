"""The kit's public API is pinned, and it imports with polyregion's core dependencies only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import polyregion.kit

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {
    "HEALTH_CLIENT_CONFIG", "REMOTE_CLIENT_CONFIG", "AppEnv", "CheckResult", "CircuitBreaker",
    "CircuitOpen", "ClientPool", "ConsistencyToken", "HealthChecker", "HealthReport", "KeySet",
    "OriginGuard", "OriginGuardWSGI", "ReadYourWrites", "RemoteCalls", "Resolved", "Revocations",
    "SecretKeyProvider", "Session", "SessionCodec", "Sessions", "SigningKey", "StillReplicating",
    "default_checks", "dynamodb_table_check", "env_key", "health_checker", "health_endpoint",
    "health_route", "health_view", "health_wsgi", "aws_error_code", "is_unavailable",
    "origin_keys", "s3_bucket_check",
    "secret_check", "secret_keys", "sessions",
}  # fmt: skip


def test_all_is_the_documented_api() -> None:
    assert set(polyregion.kit.__all__) == PUBLIC
    assert all(hasattr(polyregion.kit, name) for name in PUBLIC)
    doc = (ROOT / "docs" / "kit.md").read_text()
    missing = [name for name in PUBLIC if f"`{name}" not in doc]
    assert not missing, f"docs/kit.md does not document {missing}"


def test_imports_without_the_cli_sandbox_infra_or_boto3() -> None:
    """As in a Lambda asset or a user's app: the CLI (typer, rich), the sandbox's and the
    infra's packages, and even boto3 are made unimportable; the kit must still import."""
    script = textwrap.dedent(
        """
        import importlib.abc, sys
        BLOCKED = ("typer", "rich", "uvicorn", "moto", "httpx", "boto3", "botocore",
                   "aws_cdk", "dnslib", "polyregion.cli", "polyregion.sandbox",
                   "polyregion.infra", "polyregion.ops", "polyregion.dashboard",
                   "polyregion.replication", "blog")
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                    raise ImportError(f"blocked: {name}")
                return None
        sys.meta_path.insert(0, Block())
        import polyregion.kit
        from polyregion.kit import *
        loaded = sorted(m for m in sys.modules if m.startswith("polyregion"))
        print(" ".join(loaded))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "polyregion.kit" in loaded
    assert not {m for m in loaded if m.startswith(("polyregion.topology", "polyregion.sandbox"))}


def test_polyregion_never_imports_the_examples() -> None:
    """The blog is an example app built on the kit: no module of polyregion imports it."""
    import ast

    offenders = []
    for path in (ROOT / "polyregion").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "blog" or n.startswith("blog.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
