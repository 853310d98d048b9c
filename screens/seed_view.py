"""What the two MFA screens share while a seed is held in memory (an IAM user's new
device, or the root key pasted from the console): the seconds-left ticker and the opt-in
keyring backup. The screen says which seed it holds through ``held_seed()``."""

from __future__ import annotations

from collections.abc import Iterator

from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from screens.safe import Plain
from wizard.mfa import HeldSeed


def code_fields() -> Iterator[Widget]:
    """The two code inputs with their error lines (masked in screenshots: codes are secrets)."""
    for field, label in (("code1", "Code 1"), ("code2", "Code 2 (the next code)")):
        yield Label(label)
        yield Input(id=field, placeholder="6 digits", restrict=r"[0-9 -]*", max_length=7, classes="secret-view")
        yield Plain("", id=f"{field}-error", classes="field-error")


class SeedViewMixin:
    """Mixed into a StepScreen that has ``#ticker`` and ``#backup-result``."""

    _ticker: Timer | None = None

    def held_seed(self) -> HeldSeed | None:
        raise NotImplementedError

    def _active_seed(self) -> HeldSeed | None:
        held = self.held_seed()
        return held if held is not None and held.active else None

    def start_ticker(self) -> None:
        self._tick()
        self._ticker = self.set_interval(1, self._tick)  # type: ignore[attr-defined]

    def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        held = self._active_seed()
        if held is not None:
            self.query_one("#ticker", Static).update(  # type: ignore[attr-defined]
                f"{held.check.seconds_left():2d} s left in the current 30-second code.")

    def backup_seed(self) -> None:
        """Opt-in keyring backup (the screen binds its #backup button here: Textual only
        registers @on handlers defined on widget classes, not on a plain mixin)."""
        held = self._active_seed()
        if held is not None:
            self.run_aws(held.backup, then=self._backed_up, write=True)  # type: ignore[attr-defined]

    def _backed_up(self, result) -> None:  # noqa: ANN001
        self.query_one("#backup-result", Static).update(  # type: ignore[attr-defined]
            f"Keyring backup: {result.message}" + ("" if result.saved else ". Carry on without it."))
