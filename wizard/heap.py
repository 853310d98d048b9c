"""The cyclic garbage collector around big loads. No Textual here.

A full collection scans every container object the process holds: with Textual, boto3
and the in-process moto sandbox loaded that is over a million objects and 0.1 to 0.3 s
with the GIL held, a frozen screen in the TUI. What is loaded by the time the wizard is
connected lives as long as the process, so it is moved out of the collector's reach
(``freeze_long_lived``); a parse or an analysis that allocates many objects and frees
none pauses the collector meanwhile (``gc_paused``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing allocates many small containers and frees none: the cyclic garbage
    collector would only rescan them (most of the superlinear cost at 100,000 rows).
    Nested or concurrent pauses leave the collector enabled once the outermost ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Move every object alive now into the collector's permanent generation
    (gc.freeze): later collections scan only what is allocated after this. Objects that
    become unreachable are still freed by reference counting; only reference cycles among
    them are never collected, so call it at a point where what is alive stays alive
    (after connecting: the imported modules, the AWS clients, the sandbox)."""
    gc.freeze()


_paused_for_start = False


def pause_until_started() -> None:
    """Pause the collector while the TUI starts: importing Textual and composing the first
    screen allocate a few hundred thousand objects that all stay, and the full collection
    they trigger (30 to 50 ms) landed just before the first frame. ``started`` ends it."""
    global _paused_for_start
    if gc.isenabled():
        gc.disable()
        _paused_for_start = True


def started() -> None:
    """After the first frame: what start-up built leaves the collector's reach and the
    collector runs again. Does nothing unless ``pause_until_started`` paused it."""
    global _paused_for_start
    if _paused_for_start:
        _paused_for_start = False
        freeze_long_lived()
        gc.enable()
