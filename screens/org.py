"""The organisation view (`rootwizard --org`, `--demo --org`): every member account's root
credentials in one table (account column fixed, filter by verdict), the highlighted
account's detail, and remediation of the selected accounts with the same confirmation
and read-back as `rootwizard org remediate`. The work is in wizard.organizations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from screens.compat import OneLineCrashes
from screens.dialogs import Choice
from screens.fixed_table import FixedTable
from screens.hangup import watch_terminal
from wizard import organizations as org
from wizard.errors import WizardError

COLUMNS = (("", 3), ("Account", 14), ("Name", 24), ("Status", 10), ("Verdict", 20), ("Detail", 90))
FILTERS = [("all accounts", "all")] + [(org.VERDICT_LABELS[v], v) for v in org.VERDICTS]
VERDICT_STYLES = {org.CREDENTIALS_PRESENT: "bold red", org.NO_ROOT_CREDENTIALS: "green",
                  org.SKIPPED: "dim", org.ERROR: "bold yellow"}
KINDS = list(org.DELETE_ORDER)  # the view removes every kind of root credential it shows


def _visible(text: object) -> str:
    """AWS text as one visible line: control characters shown, never interpreted."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(text))


class OrgScreen(Screen):
    CSS_PATH = "org.tcss"
    BINDINGS = [
        Binding("space", "select_account", "Select", id="org-select"),
        Binding("a", "audit", "Audit", id="org-audit"),
        Binding("r", "remediate", "Remediate selected", id="org-remediate"),
        Binding("e", "export_record", "Export record", id="org-export"),
        Binding("ctrl+q", "app.quit", "Quit", id="org-quit", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._then: dict[Worker, Callable[[Any], None]] = {}
        self.rows: dict[str, org.AccountAudit] = {}
        self.selected: set[str] = set()
        self.filter = "all"
        self._progress: org.EtaClock | None = None

    @property
    def session(self) -> org.OrgSession:
        return self.app.session  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static("rootwizard │ organization", id="org-banner")
        with Vertical(id="org-main"):
            yield Static("Connecting …", id="org-status")
            yield Static("", id="org-error", classes="hidden")
            with Horizontal(id="org-controls"):
                yield Button("Audit all accounts", id="audit", variant="primary", disabled=True)
                yield Button("Remediate selected", id="remediate", disabled=True)
                yield Select(FILTERS, value="all", allow_blank=False, id="verdict-filter")
            with Vertical(id="org-progress-box", classes="hidden"):
                yield Static("", id="org-progress-text")
                yield ProgressBar(total=100, show_eta=False, id="org-progress")
            yield FixedTable(id="accounts", cursor_type="row", zebra_stripes=True, fixed_columns=2)
            with VerticalScroll(id="org-detail"):
                yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#accounts", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label or "mark")
        if self.session.demo:
            self.query_one("#org-banner").add_class("sandbox")
        self._run(self.session.connect, then=self._connected, group="org-connect")

    # -- workers: the one place failures become messages ------------------------------------------
    def _run(self, fn: Callable[[], Any], *, then: Callable[[Any], None], group: str,
             exclusive: bool = True) -> Worker:
        self._error(None)
        worker = self.run_worker(fn, thread=True, exclusive=exclusive, exit_on_error=False, group=group)
        self._then[worker] = then
        return worker

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        then = self._then.get(event.worker)
        if then is None:
            return
        if event.state == WorkerState.SUCCESS:
            self._then.pop(event.worker)(event.worker.result)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._then.pop(event.worker)
            self._busy(False)
            if event.state == WorkerState.ERROR:
                self._error(event.worker.error)

    def _error(self, error: BaseException | None) -> None:
        panel = self.query_one("#org-error", Static)
        if error is None:
            panel.add_class("hidden")
            return
        if isinstance(error, WizardError):
            text = f"{error.message}\n{error.hint}" if error.hint else error.message
        else:
            text = f"Unexpected error: {type(error).__name__}. Retry; details are in --log-file."
        panel.update(Text(text))
        panel.remove_class("hidden")

    def _busy(self, busy: bool, text: str = "") -> None:
        ready = self.session.context is not None
        self.query_one("#audit", Button).disabled = busy or not ready
        self.query_one("#remediate", Button).disabled = busy or not self.selected
        box = self.query_one("#org-progress-box")
        box.set_class(not busy, "hidden")
        if text:
            self.query_one("#org-progress-text", Static).update(Text(text))

    # -- connect ----------------------------------------------------------------------------------
    def _connected(self, ctx: org.AuditContext) -> None:
        banner = ["SANDBOX ORGANIZATION (simulated, not AWS)"] if self.session.demo else []
        banner += ["rootwizard", f"organization {ctx.organization_id}",
                   f"management account {ctx.management_account_id}"]
        self.query_one("#org-banner", Static).update(Text("  │  ".join(banner)))
        self.query_one("#org-status", Static).update(Text(
            f"Caller {_visible(ctx.caller_arn)}. Root features enabled: {', '.join(ctx.features)}. "
            "Audit reads every member's root credentials through sts:AssumeRoot "
            "(IAMAuditRootUserCredentials); nothing changes until you remediate."))
        self._busy(False)

    # -- audit --------------------------------------------------------------------------------------
    def action_audit(self) -> None:
        if not self.query_one("#audit", Button).disabled:
            self._audit()

    @on(Button.Pressed, "#audit")
    def _audit(self) -> None:
        ctx = self.session.context
        if ctx is None:
            return
        self.rows.clear()
        self.selected.clear()
        self._refill()
        self._busy(True, "Listing the organization's accounts …")
        self._run(lambda: self._audit_work(ctx), then=self._audited, group="org-audit")

    def _audit_work(self, ctx: org.AuditContext) -> org.OrgAudit:
        aws = self.session.aws
        accounts = list(org.list_accounts(aws))
        self.app.call_from_thread(self._start_progress, len(accounts))
        audit = org.OrgAudit(ctx.organization_id, ctx.management_account_id, ctx.caller_arn, ctx.features,
                             started_at=org.utc_now_iso(), interrupted=True)
        for row in org.run_audit(aws, ctx, accounts, concurrency=8):
            audit.accounts.append(row)
            self.app.call_from_thread(self._row_read, row)
        audit.interrupted, audit.finished_at = False, org.utc_now_iso()
        from wizard.session import OrgAuditStore

        store = OrgAuditStore(self.session.state_dir, ctx.management_account_id)
        if store.lock():  # the CLI's `org audit --resume` can start from it; never two at once
            try:
                store.save({"audit": audit.to_json(), "requested_accounts": None})
            finally:
                store.unlock()
        return audit

    def _start_progress(self, total: int) -> None:
        self._progress = org.EtaClock(total)
        self.query_one("#org-progress", ProgressBar).update(total=max(total, 1), progress=0)

    def _row_read(self, row: org.AccountAudit) -> None:
        self.rows[row.account_id] = row
        clock = self._progress
        if clock is not None:
            clock.tick()
            eta = clock.eta_s
            self.query_one("#org-progress", ProgressBar).update(progress=clock.done)
            self.query_one("#org-progress-text", Static).update(Text(
                f"Audited {clock.done} of {clock.total} accounts"
                + (f", about {eta:.0f} s left" if eta else "")))
        self._add_row(row)

    def _audited(self, audit: org.OrgAudit) -> None:
        self.session.audit = audit
        self._busy(False)
        self._refill()
        self._show_counts()

    def _show_counts(self) -> None:
        counts = org.count_verdicts(self.rows.values())
        text = ", ".join(f"{counts[v]} {org.VERDICT_LABELS[v]}" for v in org.VERDICTS)
        self.query_one("#org-progress-text", Static).update(Text(text))
        self.query_one("#org-progress-box").remove_class("hidden")
        self.query_one("#org-progress", ProgressBar).add_class("hidden")

    # -- the table ---------------------------------------------------------------------------------
    def _cells(self, row: org.AccountAudit) -> list[Text]:
        mark = "[x]" if row.account_id in self.selected else "[ ]" if row.verdict == org.CREDENTIALS_PRESENT else ""
        return [Text(mark), Text(row.account_id), Text(_visible(row.name)), Text(_visible(row.status)),
                Text(org.VERDICT_LABELS[row.verdict], style=VERDICT_STYLES[row.verdict]),
                Text(_visible(row.describe()))]

    def _add_row(self, row: org.AccountAudit) -> None:
        if self.filter != "all" and row.verdict != self.filter:
            return
        table = self.query_one("#accounts", DataTable)
        if row.account_id in table.rows:
            for key, cell in zip([c[0] or "mark" for c in COLUMNS], self._cells(row)):
                table.update_cell(row.account_id, key, cell)
        else:
            table.add_row(*self._cells(row), key=row.account_id)

    def _refill(self) -> None:
        table = self.query_one("#accounts", DataTable)
        table.clear()
        for account_id in sorted(self.rows):
            self._add_row(self.rows[account_id])
        self._show_detail()

    @on(Select.Changed, "#verdict-filter")
    def _filter(self, event: Select.Changed) -> None:
        self.filter = str(event.value)
        self._refill()

    @on(DataTable.RowHighlighted, "#accounts")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value if event.row_key else None)

    def _current(self) -> str | None:
        table = self.query_one("#accounts", DataTable)
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None

    def _show_detail(self, account_id: str | None = None) -> None:
        account_id = account_id or self._current()
        row = self.rows.get(account_id or "")
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update(Text("Audit the organization to see each account's root credentials."
                               if not self.rows else ""))
            return
        lines = [f"{row.account_id}  {_visible(row.name)}  ({_visible(row.status)})",
                 f"Verdict: {org.VERDICT_LABELS[row.verdict]}"]
        if row.verdict in (org.CREDENTIALS_PRESENT, org.NO_ROOT_CREDENTIALS):
            lines.append(f"Root password: {'present' if row.password_present else 'none'}")
            lines.append(f"MFA devices: {row.mfa_devices} {' '.join(map(_visible, row.mfa_serial_numbers))}".rstrip())
            for k in row.access_keys:
                lines.append(f"Access key {k.id}: {k.status}, last used {k.last_used or 'never'}")
            lines.append(f"Signing certificates: {row.signing_certificates}")
        else:
            lines.append(_visible(row.note or row.error or ""))
        for rem in (r for run in self.session.remediations for r in run.accounts if r.account_id == row.account_id):
            lines.append(f"Remediation {rem.finished_at}: {'verified' if rem.verified else 'NOT verified'}; "
                         f"before: {_visible(rem.before.describe())}; "
                         f"after: {_visible(rem.after.describe()) if rem.after else '-'}")
        detail.update(Text("\n".join(lines)))

    def action_select_account(self) -> None:
        account_id = self._current()
        row = self.rows.get(account_id or "")
        if row is None or row.verdict != org.CREDENTIALS_PRESENT:
            if row is not None:
                self.notify("Only accounts whose root has credentials can be selected.", severity="warning")
            return
        self.selected.symmetric_difference_update({row.account_id})
        self._add_row(row)
        self.query_one("#remediate", Button).disabled = not self.selected or self.session.context is None

    # -- remediation: read, confirm, remove, read back ------------------------------------------------
    def action_remediate(self) -> None:
        if not self.query_one("#remediate", Button).disabled:
            self._remediate()

    @on(Button.Pressed, "#remediate")
    def _remediate(self) -> None:
        targets = sorted(self.selected)
        if not targets:
            return
        self._busy(True, f"Reading {len(targets)} account(s) before removing anything …")
        self._run(lambda: self._read_before(targets), then=self._confirm, group="org-read")

    def _read_before(self, targets: list[str]) -> list[tuple[org.AccountAudit, list[org.Removal]]]:
        aws = self.session.aws
        befores = {row.account_id: row for row in org.audit_accounts(
            aws, [org.OrgAccount(t, self.rows[t].name, self.rows[t].status) for t in targets], 8)}
        return [(befores[t], org.plan_removals(befores[t], KINDS) if befores[t].verdict != org.ERROR else [])
                for t in targets]

    def _confirm(self, plans: list[tuple[org.AccountAudit, list[org.Removal]]]) -> None:
        self._busy(False)
        lines = []
        for before, removals in plans:
            self.rows[before.account_id] = before
            if before.verdict == org.ERROR:
                lines.append(f"{before.account_id}: cannot be read, nothing removed: {_visible(before.error)}")
            elif not removals:
                lines.append(f"{before.account_id}: nothing to remove")
            else:
                lines.append(f"{before.account_id} {_visible(before.name)}: remove " + "; ".join(
                    f"{r.kind} {_visible(r.target)}" for r in removals))
        self._refill()
        todo = [(b, r) for b, r in plans if r]
        if not todo:
            self.notify("Nothing to remove in the selected accounts.")
            return
        text = ("Only these accounts are touched. With an IAMDeleteRootUserCredentials session:\n"
                + "\n".join(lines) + "\nEach account is read back afterwards.")

        def chosen(choice: str | None) -> None:
            if choice == "remove":
                self._busy(True, f"Removing root credentials from {len(todo)} account(s) …")
                # Its own group, never exclusive with anything: a write is never cancelled.
                self._run(lambda: self._remove_work([b for b, _ in todo]), then=self._remediated,
                          group="org-remediate", exclusive=False)

        self.app.push_screen(Choice("Remove root credentials?", text,
                                    [("remove", "Remove"), ("cancel", "Cancel")], cancel="cancel"), chosen)

    def _remove_work(self, befores: list[org.AccountAudit]) -> org.OrgRemediation:
        ctx = self.session.context
        assert ctx is not None
        result = org.OrgRemediation(ctx.organization_id, ctx.management_account_id, ctx.caller_arn)
        for before in befores:
            result.accounts.append(org.remediate_account(self.session.aws, before, KINDS))
        from wizard.session import OrgAuditStore

        OrgAuditStore(self.session.state_dir, ctx.management_account_id).save_remediation(result.to_json())
        return result

    def _remediated(self, result: org.OrgRemediation) -> None:
        self.session.remediations.append(result)
        for rem in result.accounts:
            self.selected.discard(rem.account_id)
            if rem.after is not None:
                self.rows[rem.account_id] = rem.after
        self._busy(False)
        self._refill()
        ok = sum(1 for r in result.accounts if r.verified)
        self.notify(f"{ok} of {len(result.accounts)} account(s) verified clean after removal.",
                    severity="information" if ok == len(result.accounts) else "error")
        self._show_counts()


    # -- the organization completion record -------------------------------------------------------------
    def action_export_record(self) -> None:
        if self.session.audit is None and not self.session.remediations:
            self.notify("Audit the organization first: the record holds what was read.", severity="warning")
            return
        from wizard.org_record import export_session_record

        self._run(lambda: export_session_record(self.session), then=self._exported, group="org-export",
                  exclusive=False)

    def _exported(self, done: tuple[Any, str]) -> None:
        path, digest = done
        self.notify(_visible(f"Organization record written: {path}") + f"\nSHA-256 of the body: {digest}\n"
                    + _visible(f"Re-check it with: rootwizard verify {path}"), timeout=15, markup=False)


class OrgApp(OneLineCrashes):
    TITLE = "rootwizard organization"

    def __init__(self, session: org.OrgSession) -> None:
        super().__init__()
        self.session = session
        if session.demo or session.sandbox is not None:
            self.sub_title = "SANDBOX"

    def on_mount(self) -> None:
        self.push_screen(OrgScreen())
        watch_terminal(self)

    def on_unmount(self) -> None:
        self.session.close()
