from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from polyregion.infra import package
from polyregion.topology import from_dict, load


def test_runtime_requirements_leave_boto3_to_lambda_and_ship_mangum() -> None:
    names = [r.split(">")[0].split("=")[0].split("[")[0] for r in package.runtime_requirements()]
    assert "mangum" in names and "starlette" in names and "jinja2" in names
    assert not set(names) & package.PROVIDED_BY_LAMBDA


def test_pip_builds_for_lambda_arm64_from_wheels_only(tmp_path: Path) -> None:
    argv = package.pip_command(tmp_path, ["mangum>=0.17"])
    assert argv[:3] == [sys.executable, "-m", "pip"]
    joined = " ".join(argv)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--only-binary=:all:" in argv
    assert "--no-compile" in argv  # bytecode of this interpreter is useless on Lambda
    assert f"--python-version {package.PYTHON_VERSION}" in joined
    assert f"--target {tmp_path}" in joined
    from polyregion.infra.regional import RUNTIME

    assert RUNTIME.name == f"python{package.PYTHON_VERSION}"  # wheels match the runtime


def test_build_asset_adds_package_and_config_and_reports_size(tmp_path: Path) -> None:
    config = tmp_path / "polyregion.toml"
    config.write_text('[app]\nname = "shop"\n')
    calls: list[list[str]] = []

    def fake_pip(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        target = Path(argv[argv.index("--target") + 1])
        (target / "mangum").mkdir()
        (target / "mangum" / "__init__.py").write_text("x = 1\n" * 1000)
        return subprocess.CompletedProcess(argv, 0, "", "")

    report = package.build_asset(load(config), tmp_path / "lambda", run=fake_pip)
    asset = tmp_path / "lambda"
    assert (asset / "blog" / "lambda_handler.py").is_file()
    assert (asset / "polyregion.toml").read_text() == config.read_text()
    assert not list(asset.rglob("__pycache__"))
    assert package.is_full_build(asset)
    assert report.files > 10 and report.bytes > report.zipped_bytes > 0
    assert "boto3" not in " ".join(calls[0])


def test_a_failing_pip_is_a_one_line_build_error(tmp_path: Path) -> None:
    def failing(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "ERROR: No matching distribution\n")

    with pytest.raises(package.BuildError, match="No matching distribution"):
        package.build_asset(from_dict({}), tmp_path / "lambda", run=failing)
    assert not package.is_full_build(tmp_path / "lambda")


def test_source_asset_and_static_layout(tmp_path: Path) -> None:
    src = package.stage_source_asset(from_dict({}), tmp_path / "src")
    assert (src / "blog" / "lambda_handler.py").is_file()
    assert (src / "polyregion.toml").is_file()  # empty: the built-in defaults
    assert not package.is_full_build(src)
    static = package.stage_static(tmp_path / "static")
    # S3 key static/<hash>/app.css == the URL path the app links and CloudFront forwards.
    assert (static / package.asset_version(package.BLOG_PACKAGE / "static") / "app.css").is_file()


def test_the_staged_asset_serves_an_http_api_event_through_the_lambda_handler(
    tmp_path: Path,
) -> None:
    """The asset layout, config path and handler work with API Gateway's payload 2.0 event.
    Third-party packages come from this venv here (a real build brings its own)."""
    import os
    import sysconfig

    asset = package.stage_source_asset(from_dict({}), tmp_path / "asset")
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/health/live",
        "rawQueryString": "",
        "headers": {"host": "origin.example.com", "x-forwarded-proto": "https"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/api/health/live",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test",
            },
            "domainName": "origin.example.com",
            "stage": "$default",
            "requestId": "r",
        },
        "isBase64Encoded": False,
    }
    script = (
        "import json, sys; from blog.lambda_handler import handler; "
        "out = handler(json.loads(sys.argv[1]), None); "
        "import polyregion; "
        "print(json.dumps([out['statusCode'], out['body'], polyregion.__file__]))"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "eu-west-1",  # Lambda sets it; the app reads its region from it
        "POLYREGION_CONFIG": str(asset / "polyregion.toml"),  # as the stack's env says
        "PYTHONPATH": f"{asset}:{sysconfig.get_paths()['purelib']}",
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", script, json.dumps(event)],
        cwd=tmp_path,  # not the working tree: "-c" puts the cwd first on sys.path
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    status, body, module = json.loads(done.stdout)
    assert status == 200
    assert json.loads(body) == {"status": "live", "region": "eu-west-1"}
    assert module.startswith(str(asset))  # the staged package, not the working tree


def test_an_unwritable_asset_directory_is_a_one_line_build_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    def never(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        raise AssertionError("pip must not run")

    with pytest.raises(package.BuildError, match="cannot write the asset"):
        package.build_asset(from_dict({}), tmp_path / "file" / "lambda", run=never)


def _fake_pip(calls: list[list[str]]) -> package.Runner:
    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        target = Path(argv[argv.index("--target") + 1])
        (target / "mangum").mkdir(exist_ok=True)
        (target / "mangum" / "__init__.py").write_text("x = 1\n")
        return subprocess.CompletedProcess(argv, 0, "", "")

    return run


def test_a_build_of_another_topology_is_not_current_and_is_rebuilt(tmp_path: Path) -> None:
    """Defect 2: the marker alone made deploy ship a package holding another topology."""
    config = tmp_path / "polyregion.toml"
    config.write_text('[app]\nname = "shop"\n')
    asset = tmp_path / "lambda"
    calls: list[list[str]] = []
    package.build_asset(load(config), asset, run=_fake_pip(calls))
    assert package.is_current_build(asset, load(config))

    again = package.build_asset(load(config), asset, run=_fake_pip(calls))
    assert again.reused and len(calls) == 1  # nothing changed: pip did not run again

    config.write_text('[app]\nname = "shop"\n[[regions]]\nname = "eu-west-1"\nrole = "primary"\n')
    assert package.is_full_build(asset)  # the old marker is still there...
    assert not package.is_current_build(asset, load(config))  # ...but it is another topology
    rebuilt = package.build_asset(load(config), asset, run=_fake_pip(calls))
    assert not rebuilt.reused and len(calls) == 2
    assert "eu-west-1" in (asset / "polyregion.toml").read_text()


def test_the_fingerprint_follows_code_requirements_and_target(tmp_path: Path) -> None:
    from polyregion.infra.fingerprint import fingerprint

    code = tmp_path / "code"
    (code / "__pycache__").mkdir(parents=True)
    (code / "app.py").write_text("print(1)\n")
    topo = from_dict({})
    base = fingerprint(topo, code=[code], requirements=["a==1"], target=("x",))
    (code / "__pycache__" / "app.cpython-314.pyc").write_bytes(b"\0")
    assert fingerprint(topo, code=[code], requirements=["a==1"], target=("x",)) == base
    assert fingerprint(topo, code=[code], requirements=["a==2"], target=("x",)) != base
    assert fingerprint(topo, code=[code], requirements=["a==1"], target=("y",)) != base
    (code / "app.py").write_text("print(2)\n")
    assert fingerprint(topo, code=[code], requirements=["a==1"], target=("x",)) != base


def test_deploy_rebuilds_when_the_topology_changed_since_the_build(tmp_path: Path) -> None:
    config = tmp_path / "polyregion.toml"
    config.write_text('[app]\nname = "shop"\n')
    package.build_asset(load(config), tmp_path / "build" / "lambda", run=_fake_pip([]))

    def dry_run() -> str:
        out = subprocess.run(
            [sys.executable, "-m", "polyregion.cli", "deploy", "-c", str(config), "--dry-run"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "build the Lambda asset" not in dry_run()  # current build: reused
    config.write_text('[app]\nname = "shops"\n')
    assert "build the Lambda asset" in dry_run()


def test_precompile_uses_only_the_runtime_python(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    major_minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    calls: list[list[str]] = []

    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        return subprocess.run(list(argv), capture_output=True, text=True, check=False)

    assert package.precompile(tmp_path, "9.99", run=run) is None and calls == []
    if shutil.which(f"python{major_minor}"):  # this interpreter's version, found on PATH
        assert package.precompile(tmp_path, major_minor, run=run)
        assert "unchecked-hash" in calls[0]
        assert list((tmp_path / "__pycache__").glob("m.*.pyc"))
