"""The session secret: every rotation reaches every region; replicas are read-only."""

from __future__ import annotations

import uuid

import pytest

from polyregion.kit.keys import SecretKeyProvider
from polyregion.kit.sessions import SessionCodec
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
    # The app's own key provider and session codec, one per region (the kid is the VersionId).
    providers = {
        r: SecretKeyProvider(lambda r=r: w.clients[r].secretsmanager, name, max_age_s=0)
        for r in w.regions
    }
    codec = SessionCodec(issuer="polyregion", max_age_s=3600)
    old = staged(w, primary, "AWSCURRENT")
    old_session = codec.mint(providers[primary].refresh(), "ana")
    new_id = str(uuid.uuid4())
    w.clients[primary].secretsmanager.put_secret_value(
        SecretId=name, SecretString="rotated-" + new_id, ClientRequestToken=new_id
    )  # a rotation: the new version becomes AWSCURRENT, the old one AWSPREVIOUS
    wait_until(lambda: all(staged(w, r, "AWSCURRENT")["id"] == new_id for r in w.regions), 5)
    new_session = codec.mint(providers[primary].refresh(), "ana")
    assert SessionCodec.key_id(new_session) == new_id
    for region in w.regions:
        assert staged(w, region, "AWSPREVIOUS") == old  # same version ids and stages
        keys = providers[region].refresh()
        assert keys.current.version_id == new_id and keys.find(new_id) is not None
        # Minted in the primary with the new key: verifies in every region.
        session = codec.decode(new_session, keys)
        assert session is not None and session.username == "ana"
        # Minted before the rotation: still verifies everywhere (AWSPREVIOUS).
        before = codec.decode(old_session, keys)
        assert before is not None and before.username == "ana"
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
