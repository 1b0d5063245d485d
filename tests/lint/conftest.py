from __future__ import annotations

import os

# The pack tests synthesize a small CDK app; quiet jsii's Node-version banner like tests/infra.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
