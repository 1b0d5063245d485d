"""The sandbox's live dashboard: regions, routing, health, replication and faults on one page.

`create_app(control_url)` builds the ASGI app; it talks only to the sandbox's control API.
"""

from __future__ import annotations

from polyregion.dashboard.app import create_app

__all__ = ["create_app"]
