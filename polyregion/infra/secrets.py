"""Secrets unit: the session signing secret, created in the primary and replicated.

Replicas keep the same name in every region (regional ARN), so the app asks for
`naming.session_secret()` in its own region and never crosses an ocean to verify a cookie.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from polyregion.topology import naming
from polyregion.topology.model import Topology


class SessionSecret(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology) -> None:
        super().__init__(scope, id)
        self.secret_name = naming.session_secret(topology)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=self.secret_name,
            description=f"{topology.name}: HS256 key signing session cookies in every region",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            replica_regions=[
                secretsmanager.ReplicaRegion(region=r.name) for r in topology.secondaries
            ],
            # Deleting it signs every user out everywhere: keep it when the stack goes.
            removal_policy=RemovalPolicy.RETAIN,
        )
