"""Full garbage collections kept short: freeze at start, then after every slow one."""

from __future__ import annotations

import gc

from polyregion.gc_pauses import FreezeSlowCollections, keep_full_collections_short


def test_only_slow_full_collections_freeze_their_survivors() -> None:

    now = [0.0]
    freeze = FreezeSlowCollections(slow_s=0.010, clock=lambda: now[0])
    try:
        for pause, young in ((0.005, False), (0.050, True), (0.050, False)):
            before = gc.get_freeze_count()
            freeze("start", {"generation": 1 if young else 2})
            now[0] += pause
            freeze("stop", {"generation": 1 if young else 2})
            frozen = gc.get_freeze_count() > before
            assert frozen == (pause > 0.010 and not young)
        assert freeze.freezes == 1
    finally:
        gc.unfreeze()


def test_keeping_collections_short_freezes_what_is_alive_and_watches_full_collections() -> None:
    kept: list[list[int]] = [[i] for i in range(10)]  # lists: tracked by the collector
    assert any(o is kept[0] for o in gc.get_objects())  # collectable before
    before = list(gc.callbacks)
    try:
        callback = keep_full_collections_short()
        # Frozen: in no generation a collection walks any more.
        assert not any(o is kept[0] or o is kept for o in gc.get_objects())
        assert gc.callbacks == [*before, callback]
    finally:
        gc.callbacks[:] = before
        gc.unfreeze()
