"""Last step: every step's outcome, the after-state read from AWS, the residual risk, the
completion record export (which closes this step) and the verify checks of the last export."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from screens.base import StepScreen, short_time
from screens.safe import Plain, text
from wizard import record_flow
from wizard.checklist import STEPS_BY_ID, status_label, utcnow
from wizard.errors import WizardError
from wizard.record import completion
from wizard.residual import cis_shown, entry_note
from wizard.text import plain


def residual_lines(residual: list[dict] | None) -> list[str]:
    if residual is None:
        return ["Residual risk: unknown until the after-state is read from AWS."]
    if not residual:
        return ["Residual risk: no finding open in the after-state."]
    lines = ["Residual risk (findings still open):"]
    for f in residual:
        cis = cis_shown(f.get("cis"))
        subjects = ", ".join(f["subjects"][:5]) + (f" and {len(f['subjects']) - 5} more"
                                                    if len(f["subjects"]) > 5 else "")
        note = entry_note(f)
        lines.append(f"  [{f['severity'].upper()}] {f['title']} ({f['id']}{'; ' + cis if cis else ''})"
                     + (f": {subjects}" if subjects else "") + (f" — {note}" if note else "")
                     + (f" — skipped: {f['skip_reason']}" if f.get("skip_reason") else ""))
    return lines


def home_relative(path: Path) -> str:
    """The path as typed in a shell: "~/…" under the home folder (expanded on export)."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class SummaryScreen(StepScreen):
    STEP_ID = "summary"
    PRIMARY = ("export-json",)
    BINDINGS = [
        Binding("f2", "press('export-json')", "Export JSON", id="summary.export-json"),
        Binding("f3", "press('export-markdown')", "Export Markdown", id="summary.export-markdown"),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="outcomes", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="progress")
        yield Plain("", id="after-state")
        yield Button("Read the after-state again", id="reread")
        yield Plain("", id="residual")
        yield Static("Export the completion record (JSON with the SHA-256 of its body, or Markdown "
                     "for an audit file; both carry the same hash). An existing file is never overwritten.",
                     classes="help")
        yield Input(id="export-path", placeholder="file to write")
        with Horizontal(classes="buttons"):
            yield Button("Export JSON", id="export-json", variant="primary")
            yield Button("Export Markdown", id="export-markdown")
            yield Button("Verify the last export", id="verify-export")
        yield Plain("", id="export-result")
        yield Plain("", id="verify-result")

    def on_mount(self) -> None:
        cl, now = self.ctx.checklist, utcnow()
        table = self.query_one("#outcomes", DataTable)
        table.add_columns("Step", "Outcome", "When", "Evidence / reason")
        for sid in cl.order():
            rec = cl.step(sid)
            detail = rec.reason or rec.error or rec.note or ", ".join(
                f"{k}={v}" for k, v in rec.evidence.items() if not isinstance(v, (dict, list)))
            table.add_row(Text(STEPS_BY_ID[sid].title), Text(status_label(rec)),
                          text(short_time(rec.changed_at, now)), text(plain(detail)[:80]), key=sid)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        self.query_one("#export-path", Input).value = home_relative(
            self.ctx.store.folder / f"rootwizard-record-{cl.account_id}-{stamp}.json")
        saved = True
        try:
            self.ctx.finish()
        except (WizardError, OSError) as exc:  # e.g. a full disk: said, not a crash
            saved = False
            self.show_error(f"Not saved: {exc}. The session is as it was before this screen opened; "
                            "export the record, or free space and open the summary again.")
        self._show_state()
        self._show_last_export()
        if saved and not self.ctx.store.read_only:  # after a failed save the message stays; Read again retries
            self._read_after_state()

    # -- after-state and residual risk ---------------------------------------------------------
    def _read_after_state(self) -> None:
        self.query_one("#after-state", Static).update("Reading the after-state from AWS…")
        # a write: the state read is saved in the session, and nothing else cancels it
        self.run_aws(record_flow.read_after_state, self.ctx, then=lambda _s: self._show_state(), write=True,
                     on_error={WizardError: self._read_failed})

    def _show_state(self) -> None:
        cl = self.ctx.checklist
        residual = record_flow.residual_risk(cl)
        state = cl.after_state
        done = completion(cl, residual)
        self.query_one("#progress", Static).update(Text(done["verdict"]))
        text = ("After-state: not read yet." if state is None else
                f"After-state read from AWS at {short_time(state['read_at'])}"
                + (f"; not readable: {', '.join(state['missing'].values())}" if state.get("missing") else "") + ".")
        self.query_one("#after-state", Static).update(Text(text))
        self.query_one("#residual", Static).update(Text("\n".join(residual_lines(residual))))

    @on(Button.Pressed, "#reread")
    def _reread(self) -> None:
        self._read_after_state()

    # -- export --------------------------------------------------------------------------------
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
            result = record_flow.export(self.ctx, fmt, path)
        except WizardError as exc:
            self.show_error(exc)
            return
        self.clear_error()
        self.refresh_chrome()
        self.query_one("#export-result", Static).update(
            Text(f"Written: {path}\nSHA-256 of the record body: {result.body_sha256}"))

    def _show_last_export(self) -> None:
        last = record_flow.last_export(self.ctx.checklist)
        if last:
            self.query_one("#export-result", Static).update(Text(
                f"Last export: {last.get('file') or 'standard output'} at {short_time(last['exported_at'])}\n"
                f"SHA-256 of the record body: {last['body_sha256']}"))

    # -- verify ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#verify-export")
    def _verify(self) -> None:
        self.query_one("#verify-result", Static).update("Checking the last export against AWS…")
        self.run_aws(record_flow.check_last_export, self.ctx, then=self._show_verify, group="verify",
                     on_error={WizardError: self._verify_failed})

    def _show_verify(self, result) -> None:  # noqa: ANN001
        self.query_one("#verify-result", Static).update(Text("\n".join(result.text_lines())))

    def _read_failed(self, _error: WizardError) -> bool:
        self._show_state()
        return False  # the error panel says what failed

    def _verify_failed(self, _error: WizardError) -> bool:
        self.query_one("#verify-result", Static).update("")
        return False
