"""One signed-in user, several locations: a proxy auto-config (PAC) file per location.

Each edge is its own address (`http://127.1.2.1:8000/` is Paris), and a browser keeps cookies
per host, so signing in through one edge does not sign you in through the other. With a PAC
file the browser instead browses `http://app.<domain>:<port>/` - one host, one cookie jar, as
on AWS - and sends those requests to the edge of the location the file names (an edge accepts
a proxy's absolute-form request line). Switching location is switching the PAC file and
reloading it: the session cookie, kept for `app.<domain>`, stays.

`up` writes `<run dir>/pac/<location>.pac` for every location (status: `locations[].pac_url`).
Firefox: Settings > Network Settings > Automatic proxy configuration URL, then "Reload".
Chromium (one profile directory, so the cookies stay): `chromium --user-data-dir=DIR
--proxy-server=127.1.2.1:8000`, relaunched with the other edge's address to move.
curl: `curl -x 127.1.2.1:8000 http://app.<domain>:8000/`.
"""

from __future__ import annotations

from pathlib import Path

from polyregion.sandbox.plan import LocationPlan, SandboxPlan


def pac_path(run_dir: Path, location: str) -> Path:
    return run_dir / "pac" / f"{location}.pac"


def pac_text(app_hostname: str, edge: LocationPlan) -> str:
    """Requests for app.<domain> (any port) go to this location's edge; the rest go direct."""
    return (
        f"// polyregion sandbox: browse http://{app_hostname}:{edge.port}/ as a user in "
        f"{edge.name}\n"
        "function FindProxyForURL(url, host) {\n"
        f'  if (host == "{app_hostname}") return "PROXY {edge.ip}:{edge.port}";\n'
        '  return "DIRECT";\n'
        "}\n"
    )


def write_pac_files(run_dir: Path, plan: SandboxPlan, app_hostname: str) -> dict[str, Path]:
    """Write one PAC file per location (replacing old ones); location name -> path."""
    out: dict[str, Path] = {}
    for loc in plan.locations:
        path = pac_path(run_dir, loc.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pac_text(app_hostname, loc))
        out[loc.name] = path
    return out
