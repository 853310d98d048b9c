"""wizard.heap: the garbage collector paused around big loads, what is alive frozen."""

from __future__ import annotations

import gc

from wizard.heap import freeze_long_lived, gc_paused


def test_pause_restores_the_collector_once_the_outermost_pause_ends():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not re-enable it
    assert gc.isenabled()


def test_pause_restores_the_collector_after_an_error():
    try:
        with gc_paused():
            raise ValueError("bad row")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_pause_inside_a_disabled_collector_leaves_it_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_freeze_moves_what_is_alive_out_of_reach_and_keeps_the_collector_on():
    assert gc.get_freeze_count() == 0  # conftest unfreezes after every test
    kept = [object() for _ in range(10)], {"a": []}
    with gc_paused():
        freeze_long_lived()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # no longer scanned by collections
