from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from polyregion.dashboard import geo

point = st.tuples(st.floats(-70, 75), st.floats(-179, 179))


@given(st.lists(point, min_size=1, max_size=6))
def test_every_point_is_inside_the_fitted_view(points: list[tuple[float, float]]) -> None:
    vp = geo.fit(points, margin_px=(130, 55))
    for lat, lon in points:
        x, y = vp.project(lat, lon)
        # Inside the margins that keep the labels on the page (rounding: 0.1 px).
        assert 129.9 <= x <= vp.width - 129.9
        assert 54.9 <= y <= vp.height - 54.9


def test_east_is_right_and_north_is_up() -> None:
    vp = geo.fit([(38.9, -77.4), (53.3, -6.3)])
    virginia = vp.project(38.9, -77.4)
    dublin = vp.project(53.3, -6.3)
    assert dublin[0] > virginia[0]
    assert dublin[1] < virginia[1]


def test_one_scale_on_both_axes() -> None:
    vp = geo.fit([(0, 0), (10, 10)])
    x0, y0 = vp.project(0, 0)
    x1, y1 = vp.project(10, 10)
    assert abs((x1 - x0) - (y0 - y1)) < 0.2


def test_close_points_are_spread_out() -> None:
    # New York and N. Virginia are 3 degrees apart: they must not overlap on the page.
    vp = geo.fit([(40.7, -74.0), (38.9, -77.4), (48.9, 2.35), (53.3, -6.3)])
    ny, va = vp.project(40.7, -74.0), vp.project(38.9, -77.4)
    assert ((ny[0] - va[0]) ** 2 + (ny[1] - va[1]) ** 2) ** 0.5 > 20


def test_outlines_and_graticule() -> None:
    vp = geo.fit([(40.7, -74.0), (48.9, 2.35)])
    paths = geo.outline_paths(vp)
    assert len(paths) == len(geo.LANDMASSES)
    assert all(p.startswith("M") and p.endswith("Z") for p in paths)
    lines = geo.graticule(vp)
    assert 0 in [lon for _, lon in lines["meridians"]]
    assert 45 in [lat for _, lat in lines["parallels"]]
