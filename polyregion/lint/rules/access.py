"""What each function reads, from its environment and its role's policies: the input of the
data and plumbing rules (replicas where functions read, grants in the right region)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from polyregion.lint.graph import App, Resource, concrete
from polyregion.lint.rules.base import as_list, path

TABLE_ARN = re.compile(r"^arn:[^:]+:dynamodb:([^:]*):[^:]*:table/([^/]+)")
SECRET_ARN = re.compile(
    r"^arn:[^:]+:secretsmanager:([^:]*):[^:]*:secret:(.+?)(-\?{6}|-[A-Za-z0-9]{6}|\*)?$"
)
COMPUTE_TYPES = (
    "AWS::Lambda::Function",
    "AWS::ECS::Service",
    "AWS::EC2::Instance",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AppRunner::Service",
)


@dataclass
class Reads:
    """Names a function reads: name -> regions its grants name ("*" = any; "" = unstated)."""

    function: Resource
    tables: dict[str, set[str]] = field(default_factory=dict)
    secrets: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Replicated:
    """A global table or a secret, and the regions it has a copy in."""

    resource: Resource
    kind: str  # "table" | "secret"
    name: str
    regions: frozenset[str]


def replicated(app: App) -> dict[tuple[str, str], Replicated]:
    found: dict[tuple[str, str], Replicated] = {}
    for table in app.resources("AWS::DynamoDB::GlobalTable"):
        regions = {
            r.get("Region")
            for r in as_list(app.resolve(table.stack, table.properties.get("Replicas")))
            if isinstance(r, dict)
        }
        name = app.physical_name(table)
        found[("table", name)] = Replicated(table, "table", name, _concrete(regions))
    for secret in app.resources("AWS::SecretsManager::Secret"):
        regions = {secret.region} | {
            r.get("Region")
            for r in as_list(app.resolve(secret.stack, secret.properties.get("ReplicaRegions")))
            if isinstance(r, dict)
        }
        name = app.physical_name(secret)
        found[("secret", name)] = Replicated(secret, "secret", name, _concrete(regions))
    return found


def _concrete(values: set[Any]) -> frozenset[str]:
    return frozenset(v for v in values if concrete(v))


def compute_regions(app: App) -> set[str]:
    return {r.region for r in app.resources(*COMPUTE_TYPES) if r.region}


def reads(app: App, known: dict[tuple[str, str], Replicated]) -> Iterator[Reads]:
    for function in app.resources("AWS::Lambda::Function"):
        found = Reads(function)
        env = app.resolve(function.stack, path(function.properties, "Environment", "Variables"))
        for value in (env or {}).values() if isinstance(env, dict) else ():
            for kind, bucket in (("table", found.tables), ("secret", found.secrets)):
                if isinstance(value, str) and (kind, value) in known:
                    bucket.setdefault(value, set()).add("")
        for arn in _granted(app, function):
            if match := TABLE_ARN.match(arn):
                found.tables.setdefault(match.group(2), set()).add(match.group(1))
            elif match := SECRET_ARN.match(arn):
                found.secrets.setdefault(match.group(2), set()).add(match.group(1))
        yield found


def _granted(app: App, function: Resource) -> Iterator[str]:
    """Resource ARNs of Allow statements in the policies of the function's role."""
    role = app.target(function.stack, function.properties.get("Role"))
    if role is None:
        return
    documents = [path(p, "PolicyDocument") for p in as_list(role.properties.get("Policies"))]
    for policy in app.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        if policy.stack is not role.stack:
            continue
        targets = [app.target(policy.stack, r) for r in as_list(policy.properties.get("Roles"))]
        if any(t is not None and t.logical_id == role.logical_id for t in targets):
            documents.append(policy.properties.get("PolicyDocument"))
    for document in documents:
        resolved = app.resolve(role.stack, document)
        for statement in as_list(path(resolved, "Statement")):
            if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                for arn in as_list(statement.get("Resource")):
                    if isinstance(arn, str):
                        yield arn
