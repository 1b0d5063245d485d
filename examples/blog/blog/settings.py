"""What one regional instance of the app needs to know, resolved once at start-up.

Built from the topology (the one model), the region this process serves and a few environment
variables (docs/architecture.md lists them). Explicit arguments always beat the environment,
so tests and the sandbox never have to mutate `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from blog.data.users import DEFAULT_SCRYPT_N
from polyregion.data.clients import endpoints_from_env
from polyregion.errors import ConfigError
from polyregion.kit.env import ORIGIN_VERIFY_HEADER as ENV_ORIGIN_VERIFY_HEADER
from polyregion.kit.env import AppEnv
from polyregion.topology import naming
from polyregion.topology.load import load
from polyregion.topology.model import Topology

ENV_REGION: Final = "POLYREGION_REGION"
ENV_LAMBDA_REGION: Final = "AWS_REGION"  # set by Lambda itself (reserved: never set it)
ENV_BUCKET: Final = "POLYREGION_BUCKET"
ENV_ACCOUNT: Final = "POLYREGION_ACCOUNT_ID"  # suffix of bucket names on AWS (naming.bucket)
ENV_SECURE_COOKIES: Final = "POLYREGION_SECURE_COOKIES"
ENV_RYW_WAIT_MS: Final = "POLYREGION_RYW_WAIT_MS"
ENV_RYW_POLL_MS: Final = "POLYREGION_RYW_POLL_MS"
ENV_READ_CACHE_S: Final = "POLYREGION_READ_CACHE_S"
# Secret holding the value CloudFront sends in `origin.verify_header`; unset: not enforced.
ENV_ORIGIN_VERIFY_SECRET: Final = "POLYREGION_ORIGIN_VERIFY_SECRET"  # noqa: S105 (a name)
AUDIT_DATA_CLASS: Final = "signin-audit"  # the regional table the sign-in audit uses
DATA_TABLE_KEY: Final = "DATA"  # POLYREGION_TABLE_DATA
AUDIT_TABLE_KEY: Final = "SIGNIN_AUDIT"  # POLYREGION_TABLE_SIGNIN_AUDIT


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Everything the regional app reads; frozen so a request can never change it."""

    topology: Topology
    region: str
    # region -> endpoint URL (moto/sandbox); a region missing here means real AWS.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # region -> bucket name; defaults to naming.bucket() for every region.
    buckets: Mapping[str, str] = field(default_factory=dict)
    secure_cookies: bool = True
    # Secrets Manager id of the origin verification value (kit.OriginGuard); None: open origin.
    origin_verify_secret: str | None = None
    # From the app contract's environment (POLYREGION_TABLE_<NAME>, POLYREGION_SECRET_SESSION,
    # POLYREGION_ORIGIN_VERIFY_HEADER); absent: the names the topology implies.
    table_names: Mapping[str, str] = field(default_factory=dict)  # env key -> physical name
    session_secret_id: str | None = None
    origin_verify_header: str | None = None
    # Read-your-writes: how long a lagging replica may be waited for, and how often to poll.
    ryw_wait_ms: int = 500
    ryw_poll_ms: int = 50
    # Calls to other regions (the read-your-writes fallback): at most `remote_threads` at once,
    # a region's circuit opens after `breaker_failures` consecutive failures and lets a trial
    # call through after `breaker_reset_s`.
    remote_threads: int = 8
    ryw_waiters: int = 16  # readers polling the local replica at once (the rest skip the wait)
    breaker_failures: int = 3
    breaker_reset_s: float = 5.0
    consistency_token_ttl_s: int = 300  # after this, replication has surely caught up
    read_cache_s: float = 1.0  # in-process cache of post pages and the list (0 disables)
    max_body_bytes: int = 64 * 1024  # every request body, except uploads
    max_upload_bytes: int = 2 * 1024 * 1024  # one cover image
    # scrypt cost N (r=8, p=1): 2**17 is OWASP's minimum, 128 MiB per hash; tests lower it.
    password_scrypt_n: int = DEFAULT_SCRYPT_N
    password_hash_slots: int = 4  # hashes at once per process (memory: slots x 128 MiB)
    # Brute-force protection (blog/throttle.py): sliding windows, regional counters.
    signin_user_limit: int = 10  # failed sign-ins per username per window
    signin_address_limit: int = 50  # failed sign-ins per client address per window
    signin_window_s: int = 15 * 60
    signup_address_limit: int = 20  # sign-up attempts per client address per window
    signup_window_s: int = 60 * 60

    def __post_init__(self) -> None:
        self.topology.region(self.region)  # raises ConfigError naming the allowed regions
        for key, value in (("ryw_wait_ms", self.ryw_wait_ms), ("ryw_poll_ms", self.ryw_poll_ms)):
            if value < 0 or (key == "ryw_poll_ms" and value == 0):
                raise ConfigError(key, value, "a positive number of milliseconds")
        for key, number in (
            ("remote_threads", self.remote_threads),
            ("ryw_waiters", self.ryw_waiters),
            ("breaker_failures", self.breaker_failures),
            ("breaker_reset_s", self.breaker_reset_s),
            ("password_hash_slots", self.password_hash_slots),
            ("signin_user_limit", self.signin_user_limit),
            ("signin_address_limit", self.signin_address_limit),
            ("signin_window_s", self.signin_window_s),
            ("signup_address_limit", self.signup_address_limit),
            ("signup_window_s", self.signup_window_s),
        ):
            if number <= 0:
                raise ConfigError(key, number, "a positive number")
        n = self.password_scrypt_n
        if n < 2 or n & (n - 1):  # scrypt's own rule; refused here, not at the first sign-up
            raise ConfigError("password_scrypt_n", n, "a power of two (production: 2**17)")

    @property
    def upload_body_bytes(self) -> int:
        """Body limit of the post forms: one image plus the text fields and multipart framing."""
        return self.max_upload_bytes + self.max_body_bytes

    def bucket(self, region: str) -> str:
        return self.buckets.get(region) or naming.bucket(self.topology, region)

    def endpoint(self, region: str) -> str | None:
        return self.endpoints.get(region)

    @property
    def global_table(self) -> str:
        """The global table `data` (posts, users, slug claims)."""
        return self.table_names.get(DATA_TABLE_KEY) or f"{self.topology.name}-data"

    @property
    def audit_table(self) -> str | None:
        """The regional sign-in audit table, if declared (no such table: no audit)."""
        if AUDIT_TABLE_KEY in self.table_names:
            return self.table_names[AUDIT_TABLE_KEY]
        if self.table_names or not _declares_audit(self.topology):
            return None
        return f"{self.topology.name}-{AUDIT_DATA_CLASS}"

    @property
    def session_secret(self) -> str:
        return self.session_secret_id or naming.session_secret(self.topology)

    @property
    def verify_header(self) -> str:
        return self.origin_verify_header or self.topology.origin.verify_header


def _declares_audit(topology: Topology) -> bool:
    """Whether the topology declares the regional `signin-audit` table."""
    return any(t.name == AUDIT_DATA_CLASS for t in topology.regional_tables)


def _env_number(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(key, raw, "a number") from None


def _account_suffix(topo: Topology, region: str, local_bucket: str | None) -> str | None:
    """The account id that ends this region's bucket name on AWS
    (`<app>-assets-<region>-<account>`): the contract gives this region's name only, and the
    other regions' names (cover fallback while CRR lags) differ from it by the region alone."""
    prefix = naming.bucket(topo, region) + "-"
    if local_bucket and local_bucket.startswith(prefix):
        return local_bucket[len(prefix) :] or None
    return None


def settings_from_env(
    *,
    topology: Topology | None = None,
    region: str | None = None,
    config: str | None = None,
    endpoints: Mapping[str, str] | None = None,
    secure_cookies: bool | None = None,
    origin_verify_secret: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppSettings:
    """Resolve settings: explicit arguments, then the environment, then defaults."""
    env = os.environ if environ is None else environ
    topo = topology or load(config or env.get("POLYREGION_CONFIG") or None)
    name = region or env.get(ENV_REGION) or env.get(ENV_LAMBDA_REGION)
    if not name:
        raise ConfigError(
            "region", None, f"pass --region, or set {ENV_REGION} (on Lambda, AWS_REGION is set)"
        )
    if endpoints is None:
        endpoints = endpoints_from_env(env)
    topo.region(name)  # a ConfigError naming `region` and the allowed ones, first
    contract = AppEnv.from_env(env, region=name, regions=tuple(topo.region_names), port=0)
    local_bucket = contract.buckets.get("ASSETS") or env.get(ENV_BUCKET) or None
    account = env.get(ENV_ACCOUNT) or _account_suffix(topo, name, local_bucket)
    buckets = {r: naming.bucket(topo, r, account) for r in topo.region_names}
    if local_bucket:
        buckets[name] = local_bucket
    if secure_cookies is None:
        secure_cookies = env.get(ENV_SECURE_COOKIES, "1") != "0"
    if origin_verify_secret is None:
        origin_verify_secret = env.get(ENV_ORIGIN_VERIFY_SECRET) or None
    return AppSettings(
        topology=topo,
        region=name,
        endpoints=dict(endpoints),
        buckets=buckets,
        secure_cookies=secure_cookies,
        origin_verify_secret=origin_verify_secret,
        table_names=dict(contract.tables),
        session_secret_id=contract.session_secret,
        origin_verify_header=env.get(ENV_ORIGIN_VERIFY_HEADER) or None,
        ryw_wait_ms=int(_env_number(env, ENV_RYW_WAIT_MS, 500)),
        ryw_poll_ms=int(_env_number(env, ENV_RYW_POLL_MS, 50)),
        read_cache_s=_env_number(env, ENV_READ_CACHE_S, 1.0),
    )
