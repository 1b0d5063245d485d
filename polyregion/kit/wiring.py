"""The pieces put together from the contract's environment, for the common case.

Each function is a few lines over the public pieces; an app with other needs builds those
pieces itself (docs/kit.md).
"""

from __future__ import annotations

from polyregion.kit.aws import HEALTH_CLIENT_CONFIG, ClientPool
from polyregion.kit.checks import dynamodb_table_check, s3_bucket_check, secret_check
from polyregion.kit.env import AppEnv
from polyregion.kit.health import Check, HealthChecker
from polyregion.kit.keys import SecretKeyProvider
from polyregion.kit.sessions import DEFAULT_MAX_AGE_S, Sessions

KEY_CACHE_S = 300.0  # how long secret values are trusted before Secrets Manager is asked again


def default_checks(env: AppEnv, clients: ClientPool | None = None) -> dict[str, Check]:
    """One check per declared table (`table:<name>`) and bucket (`bucket:<name>`), and the
    session secret (`secret:session`), in this region, with fail-fast clients."""
    pool = clients or ClientPool(env, HEALTH_CLIENT_CONFIG)
    checks: dict[str, Check] = {}
    for name, table in sorted(env.tables.items()):
        checks[f"table:{name.lower()}"] = dynamodb_table_check(lambda: pool().dynamodb, table)
    for name, bucket in sorted(env.buckets.items()):
        checks[f"bucket:{name.lower()}"] = s3_bucket_check(lambda: pool().s3, bucket)
    if env.session_secret:
        secret = env.session_secret
        checks["secret:session"] = secret_check(lambda: pool().secretsmanager, secret)
    return checks


def health_checker(
    env: AppEnv,
    checks: dict[str, Check] | None = None,
    *,
    clients: ClientPool | None = None,
    timeout_s: float = 1.0,
    cache_s: float = 1.0,
) -> HealthChecker:
    """A checker over `checks` (default: `default_checks(env)`), warming its clients first."""
    pool = clients or ClientPool(env, HEALTH_CLIENT_CONFIG)
    return HealthChecker(
        env.region,
        default_checks(env, pool) if checks is None else checks,
        timeout_s=timeout_s,
        cache_s=cache_s,
        warmup=lambda: (pool().dynamodb, pool().s3, pool().secretsmanager),
    )


def secret_keys(
    env: AppEnv, secret_id: str, clients: ClientPool | None = None, max_age_s: float = KEY_CACHE_S
) -> SecretKeyProvider:
    pool = clients or ClientPool(env)
    return SecretKeyProvider(lambda: pool().secretsmanager, secret_id, max_age_s=max_age_s)


def sessions(
    env: AppEnv,
    *,
    issuer: str,
    clients: ClientPool | None = None,
    max_age_s: int = DEFAULT_MAX_AGE_S,
    cookie_name: str = "pr_session",
) -> Sessions:
    """Sessions keyed by `POLYREGION_SECRET_SESSION` (ConfigError when it is not set)."""
    if not env.session_secret:
        from polyregion.errors import ConfigError
        from polyregion.kit.env import SESSION_SECRET

        raise ConfigError(SESSION_SECRET, None, "the session secret's id (the sandbox sets it)")
    return Sessions(
        secret_keys(env, env.session_secret, clients),
        issuer=issuer,
        max_age_s=max_age_s,
        cookie_name=cookie_name,
        secure=env.secure_cookies,
    )


def origin_keys(env: AppEnv, clients: ClientPool | None = None) -> SecretKeyProvider | None:
    """The origin-verify value's provider, or None when the origin is open (variable unset)."""
    if not env.origin_verify_secret:
        return None
    return secret_keys(env, env.origin_verify_secret, clients)
