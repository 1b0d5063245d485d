"""Replication for the local sandbox: DynamoDB global tables, S3 replication, replicated secret.

Every region of the sandbox has its own AWS endpoint (a moto process), and moto copies nothing
between them. This package is the missing service: a separate process
(`python -m polyregion.replication`) that reads each region's global-table stream and applies
the changes to the other regions with last-writer-wins, copies new S3 object versions, and
mirrors the primary region's session secret, with injected lag, partitions and crash-safe
checkpoints. See docs/replication.md.
"""

from __future__ import annotations
