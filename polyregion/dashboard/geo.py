"""The map: an equirectangular projection fitted around the regions and simulated users.

Equirectangular (x from longitude, y from latitude, one scale) is the simplest projection that
keeps east/west and north/south where people expect them; the view is fitted to the points so
two regions and two cities on one ocean do not end up as four dots in a corner. The coastlines
are a coarse hand-drawn sketch (a few dozen points per landmass) so the page needs no map tiles
or data files from the network: it is orientation, not cartography.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

Lonlat = tuple[float, float]

# (lon, lat) outlines, coarse on purpose; see the module docstring.
LANDMASSES: Final[dict[str, tuple[Lonlat, ...]]] = {
    "north-america": (
        (-165, 68), (-140, 70), (-110, 73), (-85, 72), (-75, 62), (-60, 55), (-53, 47),
        (-66, 45), (-70, 41), (-76, 35), (-81, 31), (-80, 25), (-82, 28), (-85, 30),
        (-90, 29), (-97, 27), (-97, 21), (-92, 18), (-87, 21), (-88, 15), (-83, 9), (-79, 8),
        (-85, 11), (-92, 14), (-105, 20), (-110, 24), (-112, 31), (-117, 32), (-124, 40),
        (-124, 48), (-133, 55), (-145, 60), (-155, 58), (-165, 62),
    ),
    "greenland": ((-55, 60), (-43, 60), (-20, 70), (-20, 80), (-60, 82), (-70, 77), (-55, 70)),
    "south-america": (
        (-79, 8), (-72, 12), (-62, 10), (-50, 0), (-35, -5), (-39, -15), (-48, -26),
        (-58, -35), (-65, -42), (-68, -52), (-74, -52), (-73, -40), (-71, -30), (-70, -18),
        (-76, -14), (-81, -5), (-80, 1),
    ),
    "eurasia": (
        (-10, 36), (-9, 43), (-2, 44), (-5, 48), (2, 51), (8, 54), (10, 57), (5, 62), (15, 69),
        (28, 71), (40, 67), (60, 70), (80, 73), (105, 78), (140, 73), (160, 70), (180, 68),
        (180, 65), (165, 60), (160, 52), (143, 59), (135, 55), (141, 46), (130, 42), (127, 38),
        (126, 35), (122, 40), (118, 38), (122, 30), (117, 23), (108, 21), (106, 11), (100, 13),
        (103, 1), (98, 8), (98, 16), (92, 21), (88, 21), (80, 15), (77, 8), (73, 17), (72, 22),
        (67, 25), (57, 25), (56, 27), (50, 30), (48, 29), (52, 24), (56, 26), (59, 22),
        (52, 16), (43, 13), (39, 20), (35, 28), (33, 31), (35, 36), (27, 37), (26, 40),
        (23, 36), (20, 40), (13, 45), (16, 38), (12, 38), (8, 44), (3, 43), (-1, 37), (-5, 36),
    ),
    "africa": (
        (-17, 15), (-17, 21), (-10, 30), (-6, 35), (10, 37), (11, 33), (20, 31), (32, 31),
        (34, 28), (39, 18), (43, 12), (51, 12), (41, -2), (40, -11), (35, -24), (32, -29),
        (20, -35), (18, -32), (12, -17), (13, -6), (9, -1), (9, 4), (4, 6), (-8, 4), (-13, 8),
    ),
    "great-britain": (
        (-5, 50), (1, 51), (2, 53), (-2, 56), (-2, 58), (-5, 58), (-6, 56), (-3, 54), (-5, 52),
    ),
    "ireland": ((-10, 52), (-6, 52), (-6, 55), (-8, 55), (-10, 54)),
    "japan": ((130, 31), (135, 34), (140, 35), (142, 40), (141, 45), (139, 42), (137, 37)),
    "australia": (
        (114, -22), (122, -18), (130, -12), (137, -12), (136, -15), (141, -11), (146, -19),
        (153, -26), (150, -37), (141, -38), (135, -35), (129, -32), (116, -35), (115, -30),
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Viewport:
    lon_min: float
    lat_max: float
    scale: float  # pixels per degree, the same on both axes (that is what equirectangular is)
    width: int
    height: int

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.lon_min) * self.scale
        y = (self.lat_max - lat) * self.scale
        return round(x, 1), round(y, 1)

    @property
    def lon_max(self) -> float:
        return self.lon_min + self.width / self.scale

    @property
    def lat_min(self) -> float:
        return self.lat_max - self.height / self.scale


def fit(
    points: Iterable[tuple[float, float]],
    *,
    width: int = 960,
    height: int = 440,
    margin_px: tuple[int, int] = (130, 55),
    pad_deg: float = 3.0,
    min_span_deg: float = 40.0,
) -> Viewport:
    """A viewport showing every (lat, lon) point at the page's aspect ratio.

    The points stay `margin_px` (x, y) inside the edges: region names are written left of
    their marker and city names right of theirs, and must not be cut off.
    """
    pts = list(points) or [(30.0, 0.0)]
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    inner_w, inner_h = width - 2 * margin_px[0], height - 2 * margin_px[1]
    lon_span = max(max(lons) - min(lons) + 2 * pad_deg, min_span_deg)
    lat_span = max(max(lats) - min(lats) + 2 * pad_deg, min_span_deg * inner_h / inner_w)
    scale = min(inner_w / lon_span, inner_h / lat_span)
    lon_center = (max(lons) + min(lons)) / 2
    lat_center = (max(lats) + min(lats)) / 2
    return Viewport(
        lon_min=lon_center - width / scale / 2,
        lat_max=lat_center + height / scale / 2,
        scale=scale,
        width=width,
        height=height,
    )


def outline_paths(vp: Viewport) -> list[str]:
    """SVG path data for the landmasses (the SVG viewBox clips what falls outside)."""
    return [_path(vp, ring) for ring in LANDMASSES.values()]


def graticule(vp: Viewport, step: int = 15) -> dict[str, list[tuple[float, int]]]:
    """Meridians (x) and parallels (y) every `step` degrees, with their labels in degrees."""
    meridians = [
        (vp.project(0, lon)[0], lon)
        for lon in range(-180, 181, step)
        if vp.lon_min <= lon <= vp.lon_max
    ]
    parallels = [
        (vp.project(lat, 0)[1], lat)
        for lat in range(-90, 91, step)
        if vp.lat_min <= lat <= vp.lat_max
    ]
    return {"meridians": meridians, "parallels": parallels}


def _path(vp: Viewport, ring: Sequence[Lonlat]) -> str:
    coords = [vp.project(lat, lon) for lon, lat in ring]
    return "M" + "L".join(f"{x},{y}" for x, y in coords) + "Z"
