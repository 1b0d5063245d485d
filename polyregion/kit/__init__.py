"""polyregion.kit: what a Python web app needs to run well in every region (docs/kit.md).

Importable with only polyregion's core dependencies (boto3 is imported when a client is first
built; Lambda provides it): never the CLI, the sandbox or the infra code.
"""

from polyregion.kit.aws import HEALTH_CLIENT_CONFIG, REMOTE_CLIENT_CONFIG, ClientPool
from polyregion.kit.breaker import CircuitBreaker, CircuitOpen, RemoteCalls
from polyregion.kit.checks import dynamodb_table_check, s3_bucket_check, secret_check
from polyregion.kit.consistency import (
    ConsistencyToken,
    ReadYourWrites,
    Resolved,
    StillReplicating,
)
from polyregion.kit.env import AppEnv, env_key
from polyregion.kit.errors import aws_error_code, is_unavailable
from polyregion.kit.health import CheckResult, HealthChecker, HealthReport
from polyregion.kit.health_http import health_endpoint, health_route, health_view, health_wsgi
from polyregion.kit.keys import KeySet, SecretKeyProvider, SigningKey
from polyregion.kit.origin import OriginGuard, OriginGuardWSGI
from polyregion.kit.revocation import Revocations
from polyregion.kit.sessions import Session, SessionCodec, Sessions
from polyregion.kit.wiring import default_checks, health_checker, origin_keys, secret_keys, sessions

__all__ = [
    "HEALTH_CLIENT_CONFIG",
    "REMOTE_CLIENT_CONFIG",
    "AppEnv",
    "CheckResult",
    "CircuitBreaker",
    "CircuitOpen",
    "ClientPool",
    "ConsistencyToken",
    "HealthChecker",
    "HealthReport",
    "KeySet",
    "OriginGuard",
    "OriginGuardWSGI",
    "ReadYourWrites",
    "RemoteCalls",
    "Resolved",
    "Revocations",
    "SecretKeyProvider",
    "Session",
    "SessionCodec",
    "Sessions",
    "SigningKey",
    "StillReplicating",
    "aws_error_code",
    "default_checks",
    "dynamodb_table_check",
    "env_key",
    "health_checker",
    "health_endpoint",
    "health_route",
    "health_view",
    "health_wsgi",
    "is_unavailable",
    "origin_keys",
    "s3_bucket_check",
    "secret_check",
    "secret_keys",
    "sessions",
]
