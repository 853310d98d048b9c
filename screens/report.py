"""Step 2: the credential report. Generate and download it from AWS (or analyse a CSV
downloaded from the console), then show severity-ordered findings and a filterable
per-user table. The work is in wizard.report_flow; this screen shows and collects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, ProgressBar, Static

from screens import safe
from screens.base import StepScreen
from screens.virtual_table import VirtualTable
from wizard import report_flow
from wizard.checklist import STEPS_BY_ID, Checklist, Status
from wizard.credreport.table import CELL_COLUMNS, FLAG_LABELS, FLAGS, UserRow
from wizard.errors import InputError
from wizard.report_flow import ReportResult
from wizard.rules import Finding
from wizard.text import visible

CACHE_KEY = "credential_report"
SEVERITY_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "bold yellow", "low": "bold"}
FILTER_DELAY_S = 0.3
FLAGS_HELP = "Filter by user name or flag:"


class FlagLegend(Static):
    """The filter's flags, wrapped between flags (never inside one) for the widget's width."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)

    @staticmethod
    def lines(width: int) -> list[str]:
        lines, line = [], FLAGS_HELP
        for i, label in enumerate(FLAG_LABELS):
            part = label + (" ·" if i < len(FLAG_LABELS) - 1 else ".")
            if len(line) + 1 + len(part) > width and line:
                lines.append(line)
                line = part
            else:
                line = f"{line} {part}" if line else part
        return [*lines, line]

    def render(self) -> Text:
        return Text("\n".join(self.lines(self.content_size.width or 80)))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(max(width, 1)))


class FindingCard(Widget):
    """One finding: severity, title, detail, rule, why and fix and, when a step fixes it, a
    "Go to step" line that Enter (the card has the focus) or a click on that line opens.
    One widget per finding, not a box, a text and a button: a report's findings are laid
    out and drawn in one pass, and each widget costs that pass time."""

    DEFAULT_CSS = """
    FindingCard { height: auto; margin: 1 0 0 0; padding: 0 1; border-left: thick $primary; }
    FindingCard.sev-critical { border-left: thick $error; }
    FindingCard.sev-high { border-left: thick $error 60%; }
    FindingCard.sev-medium { border-left: thick $warning; }
    FindingCard.sev-low { border-left: thick $primary-background; }
    FindingCard:focus { background: $boost; }
    """
    BINDINGS = [Binding("enter", "open_step", "Go to step", show=False)]

    class Opened(Message):
        """The operator asked for the step that fixes the finding."""

        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, finding: Finding) -> None:
        super().__init__(classes=f"finding sev-{finding.severity}", name=finding.rule.id)
        self.step = finding.step or ""
        self.can_focus = bool(self.step)
        f = finding
        self._text = safe.clean(Text.assemble(
            (f" {f.severity.upper()} ", SEVERITY_STYLES[f.severity]), " ", (f.title, "bold"), "\n",
            f.detail, "\n", ("Rule: ", "bold"), f.id, "; ", f.rule.cis_text(), "\n",
            ("Why: ", "bold"), f.why, "\n", ("Fix: ", "bold"), f.fix))
        self.link = f"Go to step: {STEPS_BY_ID[self.step].title} →" if self.step else ""

    @property
    def text(self) -> str:
        """What the card says, as plain text (the link line included)."""
        return self._text.plain + (f"\n{self.link}" if self.link else "")

    def render(self) -> Text:
        if not self.link:
            return self._text
        style = "bold reverse" if self.has_focus else "bold underline"
        hint = " (Enter)" if self.has_focus else ""
        return Text.assemble(self._text, "\n", (self.link, style), hint)

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)
        if self.link and at is not None and at.y == self.content_size.height - 1:
            self.action_open_step()

    def action_open_step(self) -> None:
        if self.step:
            self.post_message(self.Opened(self.step))


def _matches(row: UserRow, term: str) -> bool:
    return term in row.user.lower() or any(term in flag.lower() for flag in row.flags)


# The most a column takes (CELL_COLUMNS order); each is fitted to the longest value shown, so
# at 120x40 the user, flags, console and MFA need no sideways scrolling. The user column
# stays when the others scroll (IAM user names can be 64 characters: longer ones are cut).
MAX_WIDTHS = (32, len(", ".join(FLAG_LABELS)), 7, 3, 13, 34, 34)
USER_COLUMNS = tuple(zip(CELL_COLUMNS, MAX_WIDTHS))


def shown_width(cell: str) -> int:
    """Cells the table draws for ``cell``: control characters are shown escaped, wide
    characters take two cells (plain ASCII, nearly every cell, is its length)."""
    return len(cell) if cell.isascii() and cell.isprintable() else cell_len(visible(cell))


def fitted_columns(cells: Sequence[Sequence[str]]) -> list[tuple[str, int]]:
    """(label, width) for each column: the longest value or label as drawn, at most
    MAX_WIDTHS (one pass per column: 5,000 rows take a few milliseconds on the UI thread)."""
    return [(label, min(most, max(len(label), max((shown_width(row[i]) for row in cells), default=0))))
            for i, (label, most) in enumerate(zip(CELL_COLUMNS, MAX_WIDTHS))]

class ReportScreen(StepScreen):
    STEP_ID = "credential_report"
    PRIMARY = ("fetch",)
    BINDINGS = [Binding("f2", "press('fetch')", "Generate report", id="credential_report.fetch")]
    CSS_PATH = "report.tcss"
    TIMEOUT_S = report_flow.FETCH_TIMEOUT_S

    def compose_body(self) -> ComposeResult:
        yield Static(
            "The IAM credential report lists the root user and every IAM user with their "
            "passwords, MFA and access keys. The wizard asks AWS to generate it "
            "(iam:GenerateCredentialReport), waits until it is complete, downloads it "
            "(iam:GetCredentialReport) and keeps a copy in this session's folder.", classes="help")
        with Horizontal(classes="buttons"):
            yield Button("Generate and download", id="fetch", variant="primary")
        with Vertical(id="progress-box", classes="hidden"):
            yield Static("", id="progress-text")
            yield ProgressBar(total=None, show_eta=False, id="progress")
        yield Static("Or analyse a report downloaded from the IAM console (Credential report, "
                     "Download report):", classes="help")
        with Horizontal(id="file-row"):
            yield Input(id="report-file", placeholder="path to the downloaded CSV")
            yield Button("Analyse file", id="analyse-file")
        yield Static("", id="file-error", classes="field-error")
        yield Static("", id="generated", classes="help hidden")
        yield Static("", id="warnings", classes="warning hidden")
        with Vertical(id="results", classes="hidden"):
            yield Static("Findings", classes="section")
            yield Vertical(id="findings")
            yield Static("Users", classes="section")
            yield FlagLegend(id="filter-help", classes="help")
            yield Input(id="filter", placeholder="user name or flag, e.g. no MFA")
            yield Static("", id="filter-count")
            yield VirtualTable(USER_COLUMNS, id="users")

    def on_mount(self) -> None:
        super().on_mount()
        self._rows: list[UserRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._action = ""
        self._filter_timer: Timer | None = None
        result = self.ctx.cache.get(CACHE_KEY)
        if result is not None:
            self._show(result)
        else:
            ev = self.ctx.checklist.step(self.STEP_ID).evidence
            if ev.get("sha256"):
                generated = ev.get("generated_time") or "unknown"
                self._set_text("#generated", f"Last analysed report: generated {generated}, "
                               f"SHA-256 {ev['sha256']}, kept as {ev.get('file')}.")

    def on_unmount(self) -> None:
        # The screen may outlive its step in the collector's permanent generation
        # (ReportResult.prepare_view freezes what is alive): it must not keep a report.
        self._rows, self._cells = [], []

    # -- getting the report ----------------------------------------------------------------
    def _now(self) -> datetime:
        sandbox = self.ctx.sandbox
        return sandbox.now() if sandbox is not None else datetime.now(timezone.utc)

    def _busy(self, busy: bool) -> None:
        self.query_one("#fetch", Button).disabled = busy
        self.query_one("#analyse-file", Button).disabled = busy
        self.query_one("#progress-box").set_class(not busy, "hidden")

    @on(Button.Pressed, "#fetch")
    def _fetch(self) -> None:
        self._action = "aws"
        self._busy(True)
        self.query_one("#progress-text", Static).update("Asking AWS to generate the credential report …")
        self.run_aws(self._fetch_work, then=self._loaded, group="report")

    def _fetch_work(self) -> tuple[ReportResult, str | None]:
        result = report_flow.load_live(self.ctx.aws, self._now, timeout_s=self.TIMEOUT_S,
                                       on_progress=self._progress_from_thread)
        result.prepare_view()  # the user table and the session's findings, off the UI thread
        return result, self._keep(result)

    def _progress_from_thread(self, state: str, elapsed: float) -> None:
        self.app.call_from_thread(self._progress, state, elapsed)

    def _progress(self, state: str, elapsed: float) -> None:
        if self.is_mounted:
            self.query_one("#progress-text", Static).update(
                f"Credential report: {state or 'requested'} after {elapsed:.0f} s "
                f"(waiting up to {self.TIMEOUT_S:.0f} s) …")

    @on(Button.Pressed, "#analyse-file")
    @on(Input.Submitted, "#report-file")
    def _analyse_file(self) -> None:
        self.query_one("#file-error", Static).update("")
        self._action = "file"
        self._busy(True)
        self.query_one("#progress-text", Static).update("Reading and analysing the file …")
        path = self.query_one("#report-file", Input).value
        self.run_aws(self._file_work, path, then=self._loaded, group="report")

    def _file_work(self, path: str) -> tuple[ReportResult, str | None]:
        result = report_flow.load_file(path, self._now())
        result.prepare_view()
        return result, self._keep(result)

    def _keep(self, result: ReportResult) -> str | None:
        """In the worker: refuse another account's report, then save the copy when the
        step will record it. Returns the saved path, or None (shown, not kept)."""
        report_flow.check_account(result, self.ctx.checklist.account_id)
        if not self._will_record(result):
            return None
        return str(report_flow.keep(result, self.ctx.store))

    def _will_record(self, result: ReportResult) -> bool:
        """Not in a read-only session; and a file never replaces a report read from AWS."""
        if self.ctx.store.read_only:
            return False
        return not (result.source == report_flow.SOURCE_FILE
                    and self.ctx.checklist.step(self.STEP_ID).status == Status.DONE)

    def on_aws_error(self, error: BaseException | None) -> None:
        self._busy(False)
        if self._action == "file" and isinstance(error, InputError):
            self.clear_error()  # bad input is shown next to the field it came from
            self.query_one("#file-error", Static).update(safe.text(error))

    # -- showing and recording -------------------------------------------------------------
    def _loaded(self, loaded: tuple[ReportResult, str | None]) -> None:
        result, saved = loaded
        self._busy(False)
        self.query_one("#file-error", Static).update("")  # whatever failed before, this worked
        self.ctx.analysis = result.analysis
        self.ctx.cache[CACHE_KEY] = result
        self._show(result)
        if saved is not None:
            # Once the findings are drawn: saving the session (the findings of thousands of
            # users) in the same turn of the event loop would hold the screen twice as long.
            # On the app: it runs even if the operator leaves the step meanwhile.
            self.app.call_after_refresh(self._record, result, saved)
        elif self.ctx.store.read_only:
            self.notify("Read-only session: the report is shown, not kept.", severity="warning")
        else:
            self.notify("The step keeps its report from AWS; the file was analysed for viewing only.")

    def _record(self, result: ReportResult, saved: str) -> None:
        slots: list[str | None] = []  # which findings slot the change set (the door rolls back on failure)

        def keep_findings(cl: Checklist) -> None:
            slots.append(report_flow.store_findings(cl, result))

        ev = report_flow.evidence(result, Path(saved))
        if result.source == report_flow.SOURCE_AWS:
            ok = self.change(Status.DONE, evidence=ev, source="aws", also=keep_findings,
                             note=f"Report generated by AWS at {result.generated_iso}.")
        else:
            ok = self.change(Status.CONFIRMED, evidence=ev, source="file", also=keep_findings,
                             note="Analysed a report file given by the operator; the wizard did not "
                                  "read it from AWS.")
        if ok and slots and slots[0]:
            self.notify(f"Findings kept in the session as '{slots[0]}' for the completion record.")

    def _set_text(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(safe.text(text))  # plain: paths and report values are not markup
        widget.set_class(not text, "hidden")

    def _show(self, result: ReportResult) -> None:
        if result.generated_time is not None:
            age = int((result.now - result.generated_time).total_seconds() // 60)
            stale = report_flow.predates_changes(self.ctx.checklist, result)
            self._set_text("#generated", f"Report generated by AWS at {result.generated_iso} "
                           f"({max(age, 0)} min before this analysis). {report_flow.FRESHNESS_NOTE}"
                           + (f"\n{report_flow.STALE_NOTE.format(changed=stale)}" if stale else ""))
        else:
            self._set_text("#generated", f"Report file {result.origin}: when AWS generated it is not in "
                           "the file (the console shows it). Findings are as of that time.")
        self._set_text("#warnings", "\n".join(result.report.warnings))
        box = self.query_one("#findings", Vertical)
        box.remove_children()
        box.mount_all(self._finding_widgets(result) or [Static("No findings.")])
        self._rows, self._cells = result.rows, result.cells
        self.query_one("#users", VirtualTable).set_columns(fitted_columns(self._cells))
        self.query_one("#results").remove_class("hidden")
        self._fill(self.query_one("#filter", Input).value)

    def _finding_widgets(self, result: ReportResult) -> list[Any]:
        return [FindingCard(f) for f in result.analysis.findings]

    @on(FindingCard.Opened)
    def _goto(self, event: FindingCard.Opened) -> None:
        self.wapp.goto(event.step)

    def help_sections(self) -> list[tuple[str, str]]:
        width = max(len(label) for label in FLAG_LABELS)
        return [("Findings", "Tab to a finding that a step fixes and press Enter (or click its "
                 "\"Go to step\" line) to open that step. The command palette (ctrl+p) finds a rule's "
                 "finding by its id."),
                ("Flags of the user table (the filter matches a user name or a flag)",
                 "\n".join(f"{label.ljust(width)}  {meaning}" for label, meaning in FLAGS))]

    # -- command palette ---------------------------------------------------------------------
    def action_reread(self) -> None:
        """Analyse again the copy of the report this step kept (no AWS call)."""
        kept = self.ctx.checklist.step(self.STEP_ID).evidence.get("file")
        if not kept:
            self.notify("No credential report is kept in this session yet: generate it (F2).",
                        severity="warning")
            return
        self.query_one("#report-file", Input).value = kept
        self._analyse_file()

    def action_show_rule(self, rule_id: str) -> None:
        """Scroll to the finding of a rule (rule ids: wizard.rules) and focus it."""
        found = [w for w in self.query(".finding") if w.name == rule_id]
        if not found:
            shown = not self.query_one("#results").has_class("hidden")
            self.notify(f"No finding {rule_id} in this report." if shown else
                        "Generate the credential report first (F2).", severity="warning")
            return
        found[0].scroll_visible(top=True, animate=False)
        if found[0].can_focus:
            found[0].focus(scroll_visible=False)

    # -- the user table ----------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        """Refill once typing pauses: showing thousands of rows takes the table a moment."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY_S, lambda: self._fill(event.value))

    @on(Input.Submitted, "#filter")
    def _filter_now(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._fill(event.value)

    def _fill(self, term: str) -> None:
        self._filter_timer = None
        term = term.strip().lower()
        rows = [c for r, c in zip(self._rows, self._cells) if _matches(r, term)] if term else self._cells
        self.query_one("#users", VirtualTable).set_rows(rows)
        self.query_one("#filter-count", Static).update(Text(
            f"{len(rows)} of {len(self._rows)} rows (root first)" + (f" matching '{term}'" if term else "")))
