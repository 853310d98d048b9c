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


def test_start_up_pause_ends_at_started_with_what_was_built_frozen():
    from wizard import heap

    heap.pause_until_started()
    assert not gc.isenabled()
    heap.started()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    heap.started()  # once only: a second call (the CLI's, after the app ended) changes nothing
    assert gc.isenabled()


def test_started_never_enables_a_collector_it_did_not_pause():
    from wizard import heap

    gc.disable()
    try:
        heap.pause_until_started()  # already disabled by someone else: not ours to end
        heap.started()
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


async def test_the_app_ends_the_start_up_pause_once_its_first_frame_is_drawn(make_app):
    from conftest import settle
    from wizard import heap

    heap.pause_until_started()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        await settle(app, pilot)
