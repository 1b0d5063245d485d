"""PAC files: one app host for every location, the location chosen by the file."""

from __future__ import annotations

from pathlib import Path

from polyregion.sandbox.pac import pac_path, write_pac_files
from polyregion.sandbox.plan import plan
from polyregion.topology import from_dict


def test_one_file_per_location_sends_only_the_app_host_to_its_edge(tmp_path: Path) -> None:
    sandbox = plan(from_dict({}))
    written = write_pac_files(tmp_path, sandbox, "app.example.com")
    assert set(written) == {loc.name for loc in sandbox.locations}
    for loc in sandbox.locations:
        text = written[loc.name].read_text()
        assert written[loc.name] == pac_path(tmp_path, loc.name)
        assert f'if (host == "app.example.com") return "PROXY {loc.ip}:{loc.port}";' in text
        assert 'return "DIRECT";' in text  # nothing else goes through the sandbox
    # Written again on the next `up`, replacing the old ones.
    assert write_pac_files(tmp_path, sandbox, "app.example.com") == written
