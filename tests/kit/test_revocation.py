"""Sign-out revokes the session in every region (issue 15 item 7), against moto."""

from __future__ import annotations

import time
from typing import Any

import pytest

from polyregion.data.clients import ClientConfig, clients_for
from polyregion.kit import (
    AppEnv,
    ClientPool,
    ConsistencyToken,
    Revocations,
    SecretKeyProvider,
    Sessions,
)

A, B, C = "us-east-1", "eu-west-1", "ap-southeast-1"
TABLE = "kit-sessions"
pytestmark = pytest.mark.functional


class Versions:
    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, str]:
        if VersionStage != "AWSCURRENT":
            raise self.exceptions.ResourceNotFoundException(VersionStage)
        return {"VersionId": "v1", "SecretString": "replicated-session-secret-0123456789"}


@pytest.fixture(scope="module")
def endpoints(moto_url: str, refusing: str) -> dict[str, str]:
    for region in (A, B):
        ddb = clients_for(region, {region: moto_url}).dynamodb
        try:
            ddb.create_table(
                TableName=TABLE,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ddb.exceptions.ResourceInUseException:
            pass
    return {A: moto_url, B: moto_url, C: refusing}  # C is down


@pytest.fixture(scope="module")
def refusing() -> str:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connections are refused
    return f"http://127.0.0.1:{port}"


def sessions_in(
    region: str, endpoints: dict[str, str], mono: list[float] | None = None
) -> Sessions:
    ticks = mono if mono is not None else [0.0]
    env = AppEnv(region=region, regions=(A, B, C), endpoints=endpoints)
    fast = ClientConfig(connect_timeout_s=0.3, read_timeout_s=0.5, max_attempts=1)
    pool, remote = ClientPool(env), ClientPool(env, fast)
    revocations = Revocations(
        TABLE,
        region,
        env.regions,
        lambda r: pool(r).dynamodb,
        remote_dynamodb=lambda r: remote(r).dynamodb,
        remote_timeout_s=1.5,
        monotonic=lambda: ticks[0],
    )
    keys = SecretKeyProvider(lambda: Versions(), "s", max_age_s=300)  # type: ignore[arg-type,return-value]
    revocations.warm()
    return Sessions(keys, issuer="polyregion:t", revocations=revocations, secure=False)


def test_a_revoked_session_is_refused_here_and_in_every_reachable_region(
    endpoints: dict[str, str],
) -> None:
    mono = [0.0]
    a, b = sessions_in(A, endpoints, mono), sessions_in(B, endpoints, mono)
    token = a.issue("alice")
    other = a.issue("alice")  # another sign-in of the same user stays valid
    session = a.read(token)
    assert session is not None and b.read(token) is not None
    start = time.monotonic()
    acked = a.revoke(session)
    elapsed = time.monotonic() - start
    assert acked == (A, B)  # C is down: it gets the record by replication later
    assert elapsed < 3.0  # bounded by the direct writes' timeout, not the regions' sum
    assert a.read(token) is None  # the process that signed out: at once
    # B saw the session valid a moment ago and may trust that for cache_s (1 s), no longer.
    mono[0] += 1.0
    assert b.read(token) is None
    # Re-issued tokens of that session (e.g. carrying a consistency token) are revoked too.
    assert a.read(a.reissue(session, ConsistencyToken(A, "note#1", 1, 0))) is None
    assert a.read(other) is not None and b.read(other) is not None


def test_the_record_expires_with_the_token_and_names_only_that_session(
    endpoints: dict[str, str], moto_url: str
) -> None:
    a = sessions_in(A, endpoints)
    session = a.read(a.issue("bob"))
    assert session is not None
    a.revoke(session)
    ddb: Any = clients_for(A, {A: moto_url}).dynamodb
    item = ddb.get_item(TableName=TABLE, Key={"id": {"S": f"revoked#{session.session_id}"}})
    assert int(item["Item"]["expires_at"]["N"]) == session.expires_at
    assert item["Item"]["updated_region"]["S"] == A and item["Item"]["version"]["N"] == "1"
    clock = [session.expires_at + 1.0]
    assert a.revocations is not None
    later = Revocations(TABLE, A, (A,), a.revocations.dynamodb, clock=lambda: clock[0])
    assert not later.is_revoked(session)  # past its expiry the record no longer matters


def test_a_table_that_cannot_be_read_fails_closed(endpoints: dict[str, str]) -> None:
    down = sessions_in(C, endpoints)  # region C's own endpoint refuses connections
    token = sessions_in(A, endpoints).issue("carol")
    with pytest.raises(Exception, match=r"(?i)connect"):
        down.read(token)
