"""All stacks of one application at once, and the values their intrinsics stand for.

`App.resolve(stack, value)` turns `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
`Fn::Split`, `Fn::FindInMap`, `Fn::ImportValue` and pseudo parameters into plain values where the
templates decide them. A resource's `Ref`/attributes become its physical name when the template
sets one (BucketName, TableName, Name...), else a placeholder `<LogicalId>` shaped like the real
value (`https://<Url>.lambda-url.eu-west-1.on.aws/`), so hostnames can still be recognized after
`Fn::Split`/`Fn::Select`. What cannot be decided (a parameter without default, an export nobody
makes in that region, `Fn::If` with two different values) is an `Unresolved`, which rules turn
into a note and skip.

`Fn::If`: when one branch is `AWS::NoValue` the other is used: it is what the template can
deploy, and a linter must check what can be deployed, whatever the parameters are today.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from polyregion.lint.model import Stack

CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"  # the hosted zone id of every CloudFront alias target
NO_VALUE = object()  # AWS::NoValue: the property is absent
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")
_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Lambda::Function": "FunctionName",
}


@dataclass(frozen=True, slots=True)
class Unresolved:
    reason: str

    def __str__(self) -> str:
        return f"<unresolved: {self.reason}>"


@dataclass(frozen=True, slots=True)
class Resource:
    stack: Stack
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]

    @property
    def region(self) -> str | None:
        return self.stack.region


class App:
    def __init__(self, stacks: list[Stack]) -> None:
        self.stacks = stacks
        self._exports: dict[tuple[str | None, str], tuple[Stack, Any]] | None = None

    def resources(self, *types: str) -> Iterator[Resource]:
        for stack in self.stacks:
            for logical_id, body in stack.resources.items():
                if not isinstance(body, dict):
                    continue
                kind = str(body.get("Type", ""))
                if not types or kind in types:
                    yield self.resource(stack, logical_id)

    def resource(self, stack: Stack, logical_id: str) -> Resource:
        body = stack.resources.get(logical_id) or {}
        props = body.get("Properties")
        metadata = body.get("Metadata")
        return Resource(
            stack,
            logical_id,
            str(body.get("Type", "")),
            props if isinstance(props, dict) else {},
            metadata if isinstance(metadata, dict) else {},
        )

    def target(self, stack: Stack, value: Any) -> Resource | None:
        """The resource a `Ref`/`Fn::GetAtt` (or `Fn::Sub` of one) points at, same stack."""
        logical_id: Any = None
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                logical_id = arg
            elif fn == "Fn::GetAtt":
                logical_id = arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
        if isinstance(logical_id, str) and logical_id in stack.resources:
            return self.resource(stack, logical_id)
        return None

    def exports(self) -> dict[tuple[str | None, str], tuple[Stack, Any]]:
        """(region, export name) -> (exporting stack, exported value)."""
        if self._exports is not None:
            return self._exports
        self._exports = found = {}
        for stack in self.stacks:
            outputs = stack.template.get("Outputs")
            for output in (outputs or {}).values() if isinstance(outputs, dict) else ():
                export = output.get("Export") if isinstance(output, dict) else None
                if isinstance(export, dict) and "Name" in export:
                    name = self.resolve(stack, export["Name"])
                    if isinstance(name, str):
                        found[(stack.region, name)] = (stack, output.get("Value"))
        return found

    # -- resolution ---------------------------------------------------------------------------

    def resolve(self, stack: Stack, value: Any, depth: int = 0) -> Any:
        if depth > 25:
            return Unresolved("intrinsics nested too deep")
        if isinstance(value, list):
            items = [self.resolve(stack, v, depth + 1) for v in value]
            return [i for i in items if i is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" or fn.startswith("Fn::") or fn == "Condition":
                return self._intrinsic(stack, fn, arg, depth + 1)
        out = {}
        for key, item in value.items():
            resolved = self.resolve(stack, item, depth + 1)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def string(self, stack: Stack, value: Any) -> str | Unresolved:
        resolved = self.resolve(stack, value)
        if isinstance(resolved, Unresolved):
            return resolved
        if isinstance(resolved, str | int | float) and not isinstance(resolved, bool):
            return str(resolved)
        return Unresolved(f"not a string: {value!r}"[:120])

    def _intrinsic(self, stack: Stack, fn: str, arg: Any, depth: int) -> Any:
        if fn == "Ref":
            return self._ref(stack, str(arg))
        if fn == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            if len(parts) != 2:
                return Unresolved(f"Fn::GetAtt {arg!r}")
            return self._getatt(stack, str(parts[0]), str(self.resolve(stack, parts[1], depth)))
        if fn == "Fn::Sub":
            return self._sub(stack, arg, depth)
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep, items = self.resolve(stack, arg[0], depth), self.resolve(stack, arg[1], depth)
            return _join(sep, items)
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index, items = self.resolve(stack, arg[0], depth), self.resolve(stack, arg[1], depth)
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
            return _first_unresolved(index, items) or Unresolved("Fn::Select out of range")
        if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            sep, text = self.resolve(stack, arg[0], depth), self.resolve(stack, arg[1], depth)
            if isinstance(sep, str) and isinstance(text, str):
                return text.split(sep)
            return _first_unresolved(sep, text) or Unresolved("Fn::Split of a non-string")
        if fn == "Fn::ImportValue":
            return self._import(stack, self.resolve(stack, arg, depth), depth)
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            return self._if(stack, arg, depth)
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            keys = [self.resolve(stack, a, depth) for a in arg[:3]]
            mappings = stack.template.get("Mappings") or {}
            try:
                return self.resolve(stack, mappings[keys[0]][keys[1]][keys[2]], depth)
            except (KeyError, TypeError):
                return Unresolved(f"Fn::FindInMap {keys!r}"[:120])
        if fn == "Fn::Base64":
            return self.resolve(stack, arg, depth)
        return Unresolved(f"{fn} is not evaluated")

    def _ref(self, stack: Stack, name: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(stack, name)
        params = stack.template.get("Parameters") or {}
        if name in params:
            param = params[name] if isinstance(params[name], dict) else {}
            if "Default" in param and not str(param.get("Type", "")).startswith("AWS::SSM"):
                return param["Default"]
            return Unresolved(f"parameter {name} has no default")
        if name in stack.resources:
            resource = self.resource(stack, name)
            if resource.type == "AWS::SecretsManager::Secret":
                return self._arn_of(resource)
            return self.physical_name(resource)
        return Unresolved(f"Ref {name}: no such parameter or resource")

    def _pseudo(self, stack: Stack, name: str) -> Any:
        values: dict[str, Any] = {
            "AWS::Region": stack.region or "<Region>",
            "AWS::AccountId": stack.account or "<AccountId>",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
            "AWS::NoValue": NO_VALUE,
        }
        return values.get(name, f"<{name.replace('::', '-')}>")

    def physical_name(self, resource: Resource) -> str:
        prop = _NAME_PROPERTY.get(resource.type)
        if prop and prop in resource.properties:
            name = self.resolve(resource.stack, resource.properties[prop])
            if isinstance(name, str):
                return name
        return f"<{resource.logical_id}>"

    def _arn_of(self, resource: Resource) -> str:
        region = resource.region or "<Region>"
        account = resource.stack.account or "<AccountId>"
        name = self.physical_name(resource)
        if resource.type == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if resource.type in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            return f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        if resource.type == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????"
        if resource.type == "AWS::Lambda::Function":
            return f"arn:aws:lambda:{region}:{account}:function:{name}"
        return f"<{resource.logical_id}.Arn>"

    def _getatt(self, stack: Stack, logical_id: str, attribute: str) -> Any:
        if logical_id not in stack.resources:
            return Unresolved(f"Fn::GetAtt {logical_id}.{attribute}: no such resource")
        resource = self.resource(stack, logical_id)
        region = stack.region or "<Region>"
        name = self.physical_name(resource)
        shaped = {
            (
                "AWS::Lambda::Url",
                "FunctionUrl",
            ): f"https://<{logical_id}>.lambda-url.{region}.on.aws/",
            ("AWS::ApiGatewayV2::Api", "ApiEndpoint"): (
                f"https://<{logical_id}>.execute-api.{region}.amazonaws.com"
            ),
            ("AWS::ApiGatewayV2::DomainName", "RegionalDomainName"): (
                f"<{logical_id}>.execute-api.{region}.amazonaws.com"
            ),
            ("AWS::ApiGateway::DomainName", "RegionalDomainName"): (
                f"<{logical_id}>.execute-api.{region}.amazonaws.com"
            ),
            ("AWS::ElasticLoadBalancingV2::LoadBalancer", "DNSName"): (
                f"<{logical_id}>.{region}.elb.amazonaws.com"
            ),
            ("AWS::CloudFront::Distribution", "DomainName"): f"<{logical_id}>.cloudfront.net",
            ("AWS::S3::Bucket", "DomainName"): f"{name}.s3.amazonaws.com",
            ("AWS::S3::Bucket", "RegionalDomainName"): f"{name}.s3.{region}.amazonaws.com",
        }
        if (resource.type, attribute) in shaped:
            return shaped[(resource.type, attribute)]
        if attribute == "Arn":
            return self._arn_of(resource)
        return f"<{logical_id}.{attribute}>"

    def _sub(self, stack: Stack, arg: Any, depth: int) -> Any:
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(variables, dict):
            return Unresolved("Fn::Sub with a non-string template")
        failed: list[Unresolved] = []

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                value = self.resolve(stack, variables[name], depth)
            elif "." in name and not name.startswith("AWS::"):
                value = self._getatt(stack, *name.split(".", 1))
            else:
                value = self._ref(stack, name)
            if isinstance(value, Unresolved) or not isinstance(value, str | int):
                failed.append(value if isinstance(value, Unresolved) else Unresolved(name))
                return ""
            return str(value)

        result = _SUB.sub(replace, text).replace("${!", "${")
        return failed[0] if failed else result

    def _import(self, stack: Stack, name: Any, depth: int) -> Any:
        if not isinstance(name, str):
            return name if isinstance(name, Unresolved) else Unresolved("Fn::ImportValue name")
        exported = self.exports().get((stack.region, name))
        if exported is None:
            return Unresolved(f"no stack in {stack.region or 'this region'} exports {name!r}")
        source, value = exported
        return self.resolve(source, value, depth)

    def _if(self, stack: Stack, arg: list[Any], depth: int) -> Any:
        yes, no = self.resolve(stack, arg[1], depth), self.resolve(stack, arg[2], depth)
        if yes is NO_VALUE:
            return no
        if no is NO_VALUE or yes == no:
            return yes
        return Unresolved(f"Fn::If {arg[0]} chooses between two values")


def _join(sep: Any, items: Any) -> Any:
    if not isinstance(sep, str) or not isinstance(items, list):
        return _first_unresolved(sep, items) or Unresolved("Fn::Join of a non-list")
    bad = _first_unresolved(*items)
    if bad is not None:
        return bad
    if not all(isinstance(i, str | int | float) for i in items):
        return Unresolved("Fn::Join of non-strings")
    return sep.join(str(i) for i in items)


def _first_unresolved(*values: Any) -> Unresolved | None:
    return next((v for v in values if isinstance(v, Unresolved)), None)


def concrete(value: Any) -> bool:
    """A resolved string with no placeholder in it (a real name, region or hostname)."""
    return isinstance(value, str) and "<" not in value
