from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from polyregion.infra import web_adapter


def test_layer_arns_per_architecture() -> None:
    assert web_adapter.layer_arn("eu-west-1", "arm64") == (
        "arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:26"
    )
    assert web_adapter.layer_arn("us-east-1", "x86_64").endswith(":LambdaAdapterLayerX86:26")
    with pytest.raises(ValueError, match="arm64"):
        web_adapter.layer_arn("us-east-1", "sparc")


def test_adapter_environment_wraps_the_runtime_and_checks_readiness_on_health() -> None:
    env = web_adapter.adapter_environment(health_path="/api/health")
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["PORT"] == env["AWS_LWA_PORT"] == "8080"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/api/health"
    # A degraded app (503) is still ready: Route 53 must see its 503, not an init timeout.
    assert env["AWS_LWA_READINESS_CHECK_HEALTHY_STATUS"] == "100-599"
    assert not {"AWS_REGION", "AWS_DEFAULT_REGION"} & set(env)  # reserved by Lambda


def test_run_script_execs_the_command_from_the_package_root(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text(web_adapter.run_script(["sh", "-c", 'echo "$PWD|$HOST|$0" > out.txt', "x y"]))
    script.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "LAMBDA_TASK_ROOT": str(tmp_path)}
    subprocess.run([str(script)], cwd="/", env=env, check=True, timeout=10)
    assert (tmp_path / "out.txt").read_text().strip() == f"{tmp_path}|127.0.0.1|x y"
    with pytest.raises(ValueError, match="empty"):
        web_adapter.run_script([])
