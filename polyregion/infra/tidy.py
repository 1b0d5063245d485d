"""Template tidying CDK leaves to us: cfn-lint's W3005 (a DependsOn already implied).

CDK renders a Lambda function with `DependsOn: [<role>DefaultPolicy, <role>]` while its `Role`
property is already a `Fn::GetAtt` of that role; cfn-lint reports the redundant entry as
W3005. The function keeps the DependsOn on the role's default policy (the permissions must exist
before a deploy-time invocation, e.g. the BucketDeployment custom resource) and drops the role.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

BUCKET_DEPLOYMENT_HANDLER = "Custom::CDKBucketDeployment"  # CDK's singleton id prefix


def depend_only_on_default_policy(function: lambda_.Function) -> None:
    cfn = function.node.default_child
    role = function.role
    if not isinstance(cfn, CfnResource) or not isinstance(role, iam.Role):
        return
    policy = role.node.try_find_child("DefaultPolicy")
    policy_cfn = policy.node.default_child if policy is not None else None
    if isinstance(policy_cfn, CfnResource):
        cfn.add_override("DependsOn", [Stack.of(function).get_logical_id(policy_cfn)])
    else:
        cfn.add_deletion_override("DependsOn")


def tidy_bucket_deployment_handlers(scope: Construct) -> None:
    """The BucketDeployment's handler is a singleton at the stack root: find it by id."""
    stack = Stack.of(scope)
    for child in stack.node.children:
        if child.node.id.startswith(BUCKET_DEPLOYMENT_HANDLER) and isinstance(
            child, lambda_.Function
        ):
            depend_only_on_default_policy(child)
