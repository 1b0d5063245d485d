"""The app context's warm-up: what it leaves behind for the request path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BLOG_DIR = Path(__file__).resolve().parents[1]
ROOT = BLOG_DIR.parents[1]

WARM = """
import gc
from blog.asgi import create_app
from blog.settings import AppSettings
from polyregion.topology import from_dict

endpoints = {"us-east-1": "http://127.0.0.1:9", "eu-west-1": "http://127.0.0.1:9"}
settings = AppSettings(
    topology=from_dict({"app": {"name": "warm-test"}}), region="us-east-1",
    endpoints=endpoints, secure_cookies=False,
)
app = create_app(settings)
before = gc.get_freeze_count()
app.state.ctx.warm()
print(before, gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_warm_up_moves_the_long_lived_objects_out_of_the_collectors_reach() -> None:
    """After warm(), botocore's models, templates and routes are frozen (gc.freeze): no
    collection under load walks them again. In a process of its own: freezing is global."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BLOG_DIR)]),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    out = subprocess.run(
        [sys.executable, "-c", WARM], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    before, frozen, tracked = (int(x) for x in out.stdout.split())
    assert before == 0
    assert frozen > 50_000 and tracked < frozen // 10  # almost nothing left to scan
