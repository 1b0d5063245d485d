"""`[app.lambda]`: how the app runs on AWS Lambda (read by `polyregion build` and `synth`).

```toml
[app.lambda]
runtime = "python3.13"        # or "nodejs22.x", ...: the managed runtime the app needs
code = "."                    # the directory to package, relative to the topology file
exclude = ["tests", "*.md"]   # glob patterns left out of the package
memory_mb = 1024              # 128..10240
timeout_s = 30                # 1..30: API Gateway's HTTP API waits at most 30 s
architecture = "arm64"        # or "x86_64"
handler = "app:app"           # Python ASGI only: module:attribute served through Mangum
cross_region_reads = false    # true: IAM for reads of the other regions' replicas (below)
```

Without `handler`, the app's `[app] command` runs behind the AWS Lambda Web Adapter (any
language, a real HTTP server, response streaming possible); with it, a Python ASGI app is
called in-process through Mangum (no server to start: the faster cold start). See
docs/infrastructure.md, "Ship your own app".

`cross_region_reads = true` grants the function reads in the *other* regions too: GetItem on
the global tables' other replicas (polyregion.kit's read-your-writes fallback reads the region
that wrote) and GetObject/ListBucket on the global buckets' other replicas (an object not yet
replicated). Off by default: the function then reaches nothing outside its own region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from polyregion.errors import ConfigError

# Lambda's managed runtimes polyregion packages for (Python: pip; Node.js: npm ci).
PYTHON_RUNTIMES: Final = ("python3.11", "python3.12", "python3.13", "python3.14")
NODE_RUNTIMES: Final = ("nodejs20.x", "nodejs22.x", "nodejs24.x")
ARCHITECTURES: Final = ("arm64", "x86_64")
HTTP_API_TIMEOUT_S: Final = 30  # API Gateway HTTP API integration timeout, maximum
KEYS: Final = (
    "runtime", "code", "exclude", "memory_mb", "timeout_s", "architecture", "handler",
    "cross_region_reads",
)  # fmt: skip
_HANDLER = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class LambdaSettings:
    runtime: str = "python3.13"
    code: str = "."
    exclude: tuple[str, ...] = ()
    memory_mb: int = 1024
    timeout_s: int = 30
    architecture: str = "arm64"
    handler: str | None = None
    cross_region_reads: bool = False

    @property
    def language(self) -> str:
        return "python" if self.runtime.startswith("python") else "node"

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def web_adapter(self) -> bool:
        """An `[app] command` behind the Lambda Web Adapter (no in-process handler)."""
        return self.handler is None


DEFAULT: Final = LambdaSettings()


def parse_lambda(raw: object, *, source: str | None = None) -> LambdaSettings:
    """Validate `[app.lambda]`; every error names the key, the value and the fix."""

    def fail(key: str, value: object, allowed: str) -> ConfigError:
        return ConfigError(f"app.lambda.{key}", value, allowed, source=source)

    if raw is None:
        return LambdaSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("app.lambda", raw, "a table ([app.lambda])", source=source)
    t: Mapping[str, Any] = raw
    for key in t:
        if key not in KEYS:
            raise fail(key, t[key], "unknown key; known: " + ", ".join(KEYS))
    runtime = t.get("runtime", DEFAULT.runtime)
    if runtime not in PYTHON_RUNTIMES + NODE_RUNTIMES:
        raise fail("runtime", runtime, "one of " + ", ".join(PYTHON_RUNTIMES + NODE_RUNTIMES))
    code = t.get("code", ".")
    if not isinstance(code, str) or not code or code.startswith("/"):
        raise fail("code", code, 'a directory relative to the topology file, such as "."')
    exclude = t.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) and p for p in exclude):
        raise fail("exclude", exclude, 'a list of glob patterns, such as ["tests", "*.md"]')
    memory = t.get("memory_mb", DEFAULT.memory_mb)
    if isinstance(memory, bool) or not isinstance(memory, int) or not 128 <= memory <= 10240:
        raise fail("memory_mb", memory, "128..10240 (Lambda's memory range, in MB)")
    timeout = t.get("timeout_s", DEFAULT.timeout_s)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not 1 <= timeout <= HTTP_API_TIMEOUT_S
    ):
        raise fail(
            "timeout_s", timeout, f"1..{HTTP_API_TIMEOUT_S}: the HTTP API origin waits 30 s at most"
        )
    arch = t.get("architecture", DEFAULT.architecture)
    if arch not in ARCHITECTURES:
        raise fail("architecture", arch, "arm64 or x86_64")
    handler = t.get("handler")
    if handler is not None:
        if not isinstance(handler, str) or not _HANDLER.match(handler):
            raise fail("handler", handler, 'module:attribute of an ASGI app, such as "app:app"')
        if runtime not in PYTHON_RUNTIMES:
            raise fail(
                "handler",
                handler,
                f"only Python ASGI apps run in-process (runtime is {runtime}); remove handler "
                "to run [app] command behind the Lambda Web Adapter",
            )
    cross = t.get("cross_region_reads", False)
    if not isinstance(cross, bool):
        raise fail("cross_region_reads", cross, "true or false")
    return LambdaSettings(
        cross_region_reads=cross,
        runtime=runtime,
        code=code,
        exclude=tuple(exclude),
        memory_mb=memory,
        timeout_s=timeout,
        architecture=arch,
        handler=handler,
    )
