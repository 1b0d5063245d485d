"""The session secret: every rotation reaches every region; replicas are read-only."""

from __future__ import annotations

import uuid

import jwt
import pytest

from polyregion.topology import naming
from tests.replication.conftest import World, wait_until

pytestmark = pytest.mark.functional


def staged(w: World, region: str, stage: str) -> dict[str, str]:
    v = w.clients[region].secretsmanager.get_secret_value(
        SecretId=naming.session_secret(w.topology), VersionStage=stage
    )
    return {"id": v["VersionId"], "value": v["SecretString"]}


def test_rotation_reaches_every_region_and_sessions_verify_everywhere(shared_world: World) -> None:
    w = shared_world
    name = naming.session_secret(w.topology)
    primary = w.topology.primary.name
    wait_until(
        lambda: all(
            staged(w, r, "AWSCURRENT") == staged(w, primary, "AWSCURRENT") for r in w.regions
        ),
        timeout_s=10,
    )
    old = staged(w, primary, "AWSCURRENT")
    old_session = jwt.encode({"sub": "ana"}, old["value"], algorithm="HS256")
    new_id = str(uuid.uuid4())
    w.clients[primary].secretsmanager.put_secret_value(
        SecretId=name, SecretString="rotated-" + new_id, ClientRequestToken=new_id
    )  # a rotation: the new version becomes AWSCURRENT, the old one AWSPREVIOUS
    wait_until(lambda: all(staged(w, r, "AWSCURRENT")["id"] == new_id for r in w.regions), 5)
    new_session = jwt.encode({"sub": "ana"}, "rotated-" + new_id, algorithm="HS256")
    for region in w.regions:
        current, previous = staged(w, region, "AWSCURRENT"), staged(w, region, "AWSPREVIOUS")
        assert previous == old  # same version ids and stages as the primary
        claims = jwt.decode(new_session, current["value"], algorithms=["HS256"])
        assert claims["sub"] == "ana"
        # Sessions minted before the rotation still verify against AWSPREVIOUS during rollover.
        assert jwt.decode(old_session, previous["value"], algorithms=["HS256"])["sub"] == "ana"
    events = [e for e in w.replicator.events() if e["kind"] == "secret-replicated"]
    assert any(new_id in e["detail"] for e in events)
    assert w.replicator.status()["secret"]["in_sync"]


def test_replica_secrets_are_read_only(shared_world: World) -> None:
    w = shared_world
    name = naming.session_secret(w.topology)
    replica = w.regions[1]
    wait_until(lambda: w.replicator.status()["secret"]["in_sync"], timeout_s=10)
    sm = w.clients[replica].secretsmanager
    with pytest.raises(sm.exceptions.InvalidRequestException, match="replica secret"):
        sm.put_secret_value(SecretId=name, SecretString="not allowed here")
    with pytest.raises(sm.exceptions.InvalidRequestException, match="replica secret"):
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert sm.get_secret_value(SecretId=name)["SecretString"] != "not allowed here"
