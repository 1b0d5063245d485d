"""AWS CDK (v2, Python) stacks synthesized from the topology: `polyregion synth|build|deploy`.

One construct per unit (data, assets, secrets, regional, edge, dns), each with keyword-only
props and its resources as attributes; `app.build_app` assembles them into stacks with explicit
regions. Importing this package is cheap; aws-cdk-lib is imported by the modules below.
"""
