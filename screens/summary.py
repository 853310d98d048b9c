"""Last step: every step's outcome, and the completion record export."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from screens.base import StepScreen
from wizard.checklist import STATUS_LABELS, STEPS_BY_ID, utcnow
from wizard.errors import WizardError
from wizard.record import build_record, render, write_export


class SummaryScreen(StepScreen):
    STEP_ID = "summary"

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="outcomes", cursor_type="row", zebra_stripes=True)
        yield Static("", id="progress")
        yield Static("Export the completion record (JSON with a SHA-256 of its body, or Markdown "
                     "for an audit file). An existing file is never overwritten.", classes="help")
        yield Input(id="export-path", placeholder="file to write")
        with Horizontal(classes="buttons"):
            yield Button("Export JSON", id="export-json", variant="primary")
            yield Button("Export Markdown", id="export-markdown")
        yield Static("", id="export-result")

    def on_mount(self) -> None:
        cl = self.ctx.checklist
        table = self.query_one("#outcomes", DataTable)
        table.add_columns("Step", "Outcome", "When", "Evidence / reason")
        for sid in cl.order():
            rec = cl.step(sid)
            detail = rec.reason or rec.error or rec.note or ", ".join(
                f"{k}={v}" for k, v in rec.evidence.items() if not isinstance(v, (dict, list)))
            table.add_row(STEPS_BY_ID[sid].title, STATUS_LABELS[rec.status], rec.changed_at or "",
                          detail[:80], key=sid)
        done, total = cl.progress()
        self.query_one("#progress", Static).update(f"{done} of {total} steps closed.")
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        self.query_one("#export-path", Input).value = str(
            self.ctx.store.folder / f"rootwizard-record-{cl.account_id}-{stamp}.json")
        try:
            self.ctx.finish()
        except (WizardError, OSError) as exc:  # e.g. a full disk: said, not a crash
            self.show_error(f"Not saved: {exc}. The session is as it was before this screen opened; "
                            "export the record, or free space and open the summary again.")

    @on(Button.Pressed, "#export-json")
    def _json(self) -> None:
        self._export("json")

    @on(Button.Pressed, "#export-markdown")
    def _markdown(self) -> None:
        self._export("markdown")

    def _export(self, fmt: str) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.show_error("Enter the file to write.")
            return
        path = Path(raw).expanduser()
        if fmt == "markdown" and path.suffix == ".json":
            path = path.with_suffix(".md")
        try:
            write_export(render(build_record(self.ctx.checklist), fmt), path)
        except WizardError as exc:
            self.show_error(exc)
            return
        self.clear_error()
        self.query_one("#export-result", Static).update(f"Written: {path}")
