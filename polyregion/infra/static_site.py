"""What CloudFront serves from the assets bucket instead of the app: the paths, and the files.

Every file lives under `static/` in each region's bucket (the only prefix the bucket policy
lets CloudFront read through OAC) and is uploaded to every region at deploy time. Two layouts:

- the bundled blog (examples/blog, whether declared with `[app] command` or not): URL
  `/static/<content hash>/<file>` is the S3 key itself; CloudFront's `/static/*` behavior
  forwards the path as it is;
- a Next.js app (`polyregion build` made `.next/standalone`): `/_next/static/*` (content-hashed
  by Next, cached a year) and one behavior per top-level entry of `public/` (`/robots.txt`,
  `/images/*`), through an origin whose path is `/static`: URL `/_next/static/x.js` reads the
  key `static/_next/static/x.js`. Next's standalone server serves them too, from the package,
  but they never reach it through CloudFront.

Any other app serves its own files: no path of it is taken over by the bucket. Without a build,
synth still emits the behaviors (from the source's `public/`) but uploads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from polyregion.errors import PolyregionError
from polyregion.topology.model import Topology

KEY_PREFIX: Final = "static/"  # every static object's key starts with it (assets.py policy)
IMMUTABLE: Final = "public, max-age=31536000, immutable"  # content-hashed file names
REVALIDATE: Final = "public, max-age=300"  # public/ files keep their names across deploys
# CloudFront's default quota is 25 cache behaviors per distribution: the app's default
# behavior and /_next/static/* leave room for this many top-level entries of public/.
MAX_PUBLIC_ENTRIES: Final = 20


class StaticSiteError(PolyregionError):
    """The static files cannot be served as laid out (too many public/ entries...)."""


@dataclass(frozen=True, slots=True)
class Upload:
    directory: Path  # its contents go under static/<prefix>
    prefix: str  # below static/, "" or ending in "/"
    cache_control: str


@dataclass(frozen=True, slots=True)
class StaticSite:
    patterns: tuple[str, ...]  # CloudFront path patterns routed to the bucket
    origin_path: str  # "" or "/static": prepended to the URL path to make the key
    uploads: tuple[Upload, ...] = ()  # empty: behaviors only (no build to upload from)


def blog_site(staged: Path) -> StaticSite:
    """The blog's files staged by package.stage_static (`<hash>/<file>`)."""
    return StaticSite(("/static/*",), "", (Upload(staged, "", IMMUTABLE),))


def public_patterns(public: Path) -> tuple[str, ...]:
    """`/name` for a file, `/name/*` for a directory, for each top-level entry of public/."""
    if not public.is_dir():
        return ()
    entries = sorted(public.iterdir())
    if len(entries) > MAX_PUBLIC_ENTRIES:
        raise StaticSiteError(
            f"{public} has {len(entries)} top-level entries; CloudFront serves each through its "
            f"own cache behavior (at most {MAX_PUBLIC_ENTRIES} here, 25 per distribution): "
            "group them in folders"
        )
    return tuple(f"/{e.name}/*" if e.is_dir() else f"/{e.name}" for e in entries)


def nextjs_site(source: Path, built: Path | None) -> StaticSite:
    """`source`: the app's code directory; `built`: a current `polyregion build` of it (the
    standalone tree with `.next/static` and `public` beside server.js), None when unbuilt."""
    public = (built or source) / "public"
    patterns = ("/_next/static/*", *public_patterns(public))
    uploads: list[Upload] = []
    if built is not None:
        if (built / ".next" / "static").is_dir():
            uploads.append(Upload(built / ".next" / "static", "_next/static/", IMMUTABLE))
        if public.is_dir():
            uploads.append(Upload(public, "", REVALIDATE))
    return StaticSite(patterns, "/static", tuple(uploads))


def is_bundled_blog(topology: Topology) -> bool:
    """The blog of this repository, bundled (no `[app] command`) or declared as examples/blog."""
    from polyregion.infra.package import BLOG_PACKAGE

    if topology.app_command is None:
        return True
    code = (topology.app_dir / topology.app_lambda.code).resolve()
    return (code / "blog").resolve() == BLOG_PACKAGE


def static_site(topology: Topology, *, asset: Path | None, work: Path) -> StaticSite | None:
    """The static files of this topology's app; `asset` a current build of it, if any."""
    from polyregion.infra import package
    from polyregion.infra.app_package import is_nextjs

    if is_bundled_blog(topology):
        return blog_site(package.stage_static(work / "synth" / "static"))
    settings = topology.app_lambda
    code = (topology.app_dir / settings.code).resolve()
    if settings.language == "node" and is_nextjs(code):
        return nextjs_site(code, asset)
    return None
