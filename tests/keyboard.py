"""The operator's keyboard, counted: drives the app with key presses only (no clicks, no
focus or values set by the test) and counts every key. A button is pressed with its
accelerator key when the screen has one, with Enter when it has the focus, else by
Tabbing to it; the next step is F8 (ctrl+n before F8 existed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conftest import settle

MAX_TABS = 80


@dataclass
class Keyboard:
    app: Any
    pilot: Any
    keys: list[str] = field(default_factory=list)  # every key pressed, in order
    typed: int = 0  # of which characters typed into fields
    trace: list[tuple[str, str]] = field(default_factory=list)  # (step, key)

    @property
    def navigation(self) -> int:
        """Keys that were not text typed into a field."""
        return len(self.keys) - self.typed

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.keys.append(key)
            self.trace.append((getattr(self.app.screen, "STEP_ID", ""), key))
            await self.pilot.press(key)
            await settle(self.app, self.pilot)

    async def type(self, text: str) -> None:
        self.keys.extend(text)
        self.trace.extend((getattr(self.app.screen, "STEP_ID", ""), c) for c in text)
        self.typed += len(text)
        await self.pilot.press(*text)
        await settle(self.app, self.pilot)

    def _focused_id(self) -> str | None:
        focused = self.app.focused
        return focused.id if focused is not None else None

    async def focus(self, widget_id: str) -> None:
        """Tab or shift+Tab, whichever is shorter (the operator sees where the field is),
        until the widget has the focus."""
        chain = [w.id for w in self.app.screen.focus_chain]
        here, there = self._focused_id(), widget_id
        key = "tab"
        if here in chain and there in chain:
            forward = (chain.index(there) - chain.index(here)) % len(chain)
            key = "tab" if forward <= len(chain) - forward else "shift+tab"
        for _ in range(MAX_TABS):
            if self._focused_id() == widget_id:
                return
            await self.press(key)
        raise AssertionError(f"#{widget_id} never got the focus on {type(self.app.screen).__name__}")

    def _accelerator(self, button_id: str) -> str | None:
        for key, active in self.app.screen.active_bindings.items():
            if active.binding.action == f"press('{button_id}')" and active.enabled:
                return key
        return None

    async def button(self, button_id: str) -> None:
        key = self._accelerator(button_id)
        if key is not None:
            await self.press(key)
            return
        await self.focus(button_id)
        await self.press("enter")

    async def fill(self, widget_id: str, text: str) -> None:
        await self.focus(widget_id)
        await self.type(text)

    async def tick(self, widget_id: str) -> None:
        await self.focus(widget_id)
        await self.press("space")

    def navigation_by_step(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step, key in self.trace:
            if len(key) > 1:  # not a typed character
                counts[step] = counts.get(step, 0) + 1
        return counts

    async def next_step(self, expected: str) -> None:
        bound = self.app.screen.active_bindings
        await self.press("f8" if "f8" in bound else "ctrl+n")
        assert self.app.screen.STEP_ID == expected, (self.app.screen.STEP_ID, expected)
