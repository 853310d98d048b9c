"""The credential report step: download in the sandbox, findings root first, the user
table and its filter, evidence matching the saved 0600 copy; report failures (timeout,
ReportInProgress, LimitExceeded) leave the session unchanged; a 5,000-user file."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.stub import Stubber

from conftest import open_step, settle, wait_until
from screens.report import ReportScreen
from synthetic import generate_synthetic_report
from wizard import sandbox as sandbox_module
from wizard.checklist import Status
from wizard.credreport import parse_report

STEP = "credential_report"


@pytest.fixture
def sandbox():
    from wizard.sandbox import start_sandbox

    sb = start_sandbox()
    yield sb
    sb.stop()


async def open_report(app, pilot) -> ReportScreen:
    screen = await open_step(app, pilot, STEP)
    assert isinstance(screen, ReportScreen)
    return screen


async def analyse_file(app, pilot, screen, path) -> None:
    screen.query_one("#report-file").value = str(path)
    await pilot.click("#analyse-file")
    await settle(app, pilot)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def table_users(screen) -> list[str]:
    table = screen.query_one("#users")
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_report_from_the_sandbox(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await pilot.click("#fetch")
        await settle(app, pilot)
        assert screen.query_one("#error").has_class("hidden")
        rec = app.ctx.checklist.step(STEP)
        assert rec.status == Status.DONE and rec.evidence_source == "aws"
        ev = rec.evidence
        assert ev["source"] == "iam:GetCredentialReport" and ev["generated_time"]
        saved = Path(ev["file"])
        assert saved.parent == app.ctx.store.folder
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == ev["sha256"]
        assert ev["rows"] == len(parse_report(saved.read_bytes()).rows) == 12
        assert ev["generated_time"] in text(screen, "#generated") and "4 hours" in text(screen, "#generated")

        # findings: severity order, root first, each with why, fix and the step that fixes it
        cards = list(screen.query(".finding"))
        first = cards[0].text
        assert "CRITICAL" in first and "Root user has no MFA" in first and "Why:" in first and "Fix:" in first
        assert "Rule: root-mfa-missing; CIS v5.0.0 1.4, v7.0.0 2.5" in first
        assert "Root user has an active access key" in cards[1].text
        assert app.ctx.analysis.account_id == sandbox.account_id
        assert app.ctx.checklist.findings_before["sha256"] == ev["sha256"]
        assert app.ctx.checklist.findings_after is None
        on_disk = json.loads(app.ctx.store.path.read_text())["session"]
        assert on_disk["findings_before"]["sha256"] == ev["sha256"]
        assert on_disk["findings_before"]["root"]["access_keys_active"] == 1
        kept = {f["id"]: f for f in on_disk["findings_before"]["findings"]}  # the record's findings carry ids
        assert kept["root-mfa-missing"]["step"] == "root_mfa"
        assert kept["root-mfa-missing"]["cis"]["v7.0.0"] == "2.5"
        assert "Credential report: COMPLETE after" in text(screen, "#progress-text")  # polled progress shown

        # the table: root first, then every user; the filter by flag and by name
        users = table_users(screen)
        assert users[0] == "<root_account>" and len(users) == 12 and "bob.martin" in users
        screen.query_one("#filter").focus()
        await pilot.press(*"no mfa", "enter")
        no_mfa = table_users(screen)
        assert no_mfa[0] == "<root_account>"
        assert set(no_mfa[1:]) == set(app.ctx.analysis.console_users_without_mfa) | {"ops-admin", "erin.walsh",
                                                                                      "svc-backup", "svc-ci-deploy"}
        screen.query_one("#filter").value = "svc-"
        await pilot.press("enter")
        await wait_until(lambda: table_users(screen) == ["svc-backup", "svc-ci-deploy"], pilot, 10)
        assert "2 of 12 rows" in text(screen, "#filter-count")

        # "Go to step" opens the step that fixes the finding (that screen is tested on its own)
        opened = []
        app.goto = opened.append
        assert cards[0].text.endswith("Go to step: Root user MFA →")
        cards[0].focus()
        await pilot.press("enter")
        await pilot.pause()
        assert opened == ["root_mfa"]
        cards[1].scroll_visible(animate=False)
        await pilot.pause()
        last = cards[1].content_region
        await pilot.click(offset=(last.x + 2, last.bottom - 1))  # the "Go to step" line
        await pilot.pause()
        assert opened == ["root_mfa", "root_access_keys"]
        await pilot.click(offset=(last.x + 2, last.y))  # the title: no step opens on a stray click
        await pilot.pause()
        assert opened == ["root_mfa", "root_access_keys"]
        screen.action_show_rule("console-user-without-mfa")  # the palette's "Findings: <rule id>"
        await pilot.pause()
        assert app.focused is cards[2] and cards[2].name == "console-user-without-mfa"
        await pilot.press("enter")
        await pilot.pause()
        assert opened[-1] == "iam_user_mfa"
        await pilot.press("f1")  # the step's help says how
        await pilot.pause()
        assert "Tab to a finding" in str(app.screen.query_one("#help-text").render())


async def test_a_report_generated_before_a_change_is_not_after(make_app, sandbox):
    """Issue 15 item 5: within four hours AWS returns the report it already generated;
    fetched after a change it shows the account before the change, so it is not kept as
    the 'after' findings and the screen says so."""
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await pilot.click("#fetch")
        await settle(app, pilot)
        first = app.ctx.checklist.step(STEP).evidence
        sandbox.simulate("root_mfa")
        app.ctx.change("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
        await pilot.click("#fetch")
        await settle(app, pilot)
        cl = app.ctx.checklist
        assert cl.step(STEP).evidence["generated_time"] == first["generated_time"]
        assert cl.step(STEP).evidence["sha256"] == first["sha256"]
        assert cl.findings_after is None
        assert "generated before this session's last change" in text(screen, "#generated")

        sandbox._epoch += sandbox_module.REPORT_REUSE  # four hours later AWS generates a new one
        await pilot.click("#fetch")
        await settle(app, pilot)
        assert cl.step(STEP).evidence["generated_time"] > first["generated_time"]
        assert cl.findings_after["root"]["mfa_active"] is True
        assert "before this session's last change" not in text(screen, "#generated")


async def test_second_download_is_after_and_view_survives_navigation(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await pilot.click("#fetch")
        await settle(app, pilot)
        sandbox.simulate("root_mfa")
        await pilot.click("#fetch")  # within four hours AWS hands back the same report: no "after"
        await settle(app, pilot)
        cl = app.ctx.checklist
        assert cl.findings_after is None
        with sandbox._lock:  # four hours on: AWS generates a new report
            sandbox._report = (sandbox._report[0], sandbox._report[1] - sandbox_module.REPORT_REUSE)
        await pilot.click("#fetch")
        await settle(app, pilot)
        assert cl.findings_before["root"]["mfa_active"] is False
        assert cl.findings_after["root"]["mfa_active"] is True
        copies = sorted(app.ctx.store.folder.glob("credential-report-*"))
        assert len(copies) == 2

        # a file never replaces the verified report from AWS, and is not kept again
        evidence = dict(cl.step(STEP).evidence)
        [first] = [c for c in copies if str(c) != evidence["file"]]  # the "before" report
        screen.query_one("#report-file").value = str(first)
        await pilot.click("#analyse-file")
        await settle(app, pilot)
        assert cl.step(STEP).status == Status.DONE and cl.step(STEP).evidence == evidence
        assert cl.findings_after["root"]["mfa_active"] is True
        assert sorted(app.ctx.store.folder.glob("credential-report-*")) == copies
        assert app.ctx.analysis.root.mfa_active is False  # the file's facts are what is shown

        # filter text is plain text, never markup
        screen.query_one("#filter").focus()
        screen.query_one("#filter").value = "[/x"
        await pilot.press("enter")
        assert "0 of 12 rows (root first) matching '[/x'" in text(screen, "#filter-count")
        app.goto(STEP)
        await settle(app, pilot)
        assert app.screen is not screen and app.screen.query_one("#users").row_count == 12


async def test_plain_moto_report_is_a_clear_error(make_app):
    """moto's report has no <root_account> row: the screen says so and records nothing."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await pilot.click("#fetch")
        await settle(app, pilot)
        err = text(screen, "#error")
        assert "cannot be analysed" in err and "<root_account>" in err
        assert app.ctx.checklist.step(STEP).status == Status.PENDING
        assert not screen.query_one("#fetch").disabled
        assert list(app.ctx.store.folder.glob("credential-report-*")) == []


def _inprogress(stub):
    stub.add_response("generate_credential_report", {"State": "INPROGRESS", "Description": "generating"})


def _in_progress_on_get(stub):
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", "ReportInProgress", "Report is being generated",
                          http_status_code=404)


def _limit_exceeded(stub):
    stub.add_client_error("generate_credential_report", "LimitExceeded", "Rate limited", http_status_code=409)


@pytest.mark.parametrize("queue, expected", [
    (_inprogress, "last state INPROGRESS"),
    (_in_progress_on_get, "GetCredentialReport answered ReportInProgress"),
    (_limit_exceeded, "LimitExceeded"),
])
async def test_report_failures_leave_the_session_unchanged(make_app, monkeypatch, queue, expected):
    monkeypatch.setattr(ReportScreen, "TIMEOUT_S", 1.0)  # at most two polls (0.5 s, then 1 s backoff)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        before = app.ctx.store.path.read_bytes()
        stub = Stubber(app.ctx.aws._client("iam"))
        for _ in range(3):
            queue(stub)
        with stub:
            await pilot.click("#fetch")
            await settle(app, pilot)
        err = text(screen, "#error")
        assert "did not complete within 1 s" in err and expected in err
        assert "retry" in err.lower()
        assert app.ctx.store.path.read_bytes() == before
        assert app.ctx.checklist.step(STEP).status == Status.PENDING
        assert app.ctx.checklist.findings_before is None and app.ctx.analysis is None
        assert list(app.ctx.store.folder.glob("credential-report-*")) == []
        assert not screen.query_one("#fetch").disabled  # retryable
        assert screen.query_one("#progress-box").has_class("hidden")


def _account_file(tmp_path, n: int, account: str = "123456789012") -> Path:
    now = datetime.now(UTC)
    content = generate_synthetic_report(n, now, seed=7)
    found = parse_report(content).account_id
    path = tmp_path / "downloaded.csv"
    path.write_text(content.replace(f"::{found}:", f"::{account}:"))
    return path


async def test_5000_user_file(make_app, tmp_path):
    path = _account_file(tmp_path, 5000)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await analyse_file(app, pilot, screen, path)
        assert screen.query_one("#error").has_class("hidden")
        table = screen.query_one("#users")
        assert table.row_count == 5001
        screen.query_one("#filter").focus()
        screen.query_one("#filter").value = "svc-"
        await pilot.press("enter")
        assert table.row_count == 625 and all(u.startswith("svc-") for u in table_users(screen))
        rec = app.ctx.checklist.step(STEP)
        # a file the operator gave is not something the wizard saw in AWS
        assert rec.status == Status.CONFIRMED and rec.evidence_source == "file"
        assert rec.evidence["generated_time"] is None and rec.evidence["original_file"] == str(path)
        saved = Path(rec.evidence["file"])
        assert saved.read_bytes() == path.read_bytes() and stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert app.ctx.checklist.findings_before["user_count"] == 5000
        # Built in the worker, then out of the collector's reach; the collector runs on.
        assert gc.isenabled() and gc.get_freeze_count() > 0
        screen.query_one("#filter").value = ""
        await pilot.press("enter")
        shown = [tuple(table.get_row_at(i)) for i in range(table.row_count)]
        assert shown == app.ctx.cache["credential_report"].cells and shown[0][0] == "<root_account>"
        await app.goto("password_policy")
        await settle(app, pilot)
        # The step's screen may outlive it in the permanent generation: it keeps no report.
        assert screen._rows == [] and table.row_count == 0


@pytest.mark.parametrize("content, message", [
    (None, "No such file"),
    (b"", "The credential report is empty."),
    (b"user,arn\nx,y\n", "lacks required columns"),
    ("other-account", "is for account"),
])
async def test_bad_file_error_next_to_the_field(make_app, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content == "other-account":
        path = _account_file(tmp_path, 3, account="999988887777")
    elif content is not None:
        path.write_bytes(content)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        before = app.ctx.store.path.read_bytes()
        screen.query_one("#report-file").value = str(path)
        await pilot.click("#analyse-file")
        await settle(app, pilot)
        assert message in text(screen, "#file-error")
        assert screen.query_one("#error").has_class("hidden")
        assert app.ctx.store.path.read_bytes() == before
        assert list(app.ctx.store.folder.glob("credential-report-*")) == []
        assert screen.query_one("#results").has_class("hidden")


async def test_report_text_is_never_markup(make_app):
    """What AWS returned is quoted in the error as plain text (no markup, no crash)."""
    content = generate_synthetic_report(2, datetime.now(UTC), seed=1).replace("<root_account>", "[/bold]")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        stub = Stubber(app.ctx.aws._client("iam"))
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", {"Content": content.encode(), "ReportFormat": "text/csv",
                                                    "GeneratedTime": datetime.now(UTC)})
        with stub:
            await pilot.click("#fetch")
            await settle(app, pilot)
        assert "found '[/bold]'. (line 2, column user)" in text(screen, "#error")
        assert app.ctx.checklist.step(STEP).status == Status.PENDING


async def test_truncated_file_is_unreadable_and_the_earlier_analysis_stays(make_app, tmp_path):
    good = _account_file(tmp_path, 8)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await analyse_file(app, pilot, screen, good)
        shown = app.ctx.analysis
        assert shown is not None and screen.query_one("#users").row_count == 9
        cut = tmp_path / "cut.csv"
        content = good.read_text()
        cut.write_text(content[: len(content) - 40])  # the last user loses its last fields
        await analyse_file(app, pilot, screen, cut)
        error = text(screen, "#file-error")
        assert "cut.csv: The last row is truncated" in error and "(line 10, column " in error
        assert app.ctx.analysis is shown and screen.query_one("#users").row_count == 9
        assert not screen.query_one("#results").has_class("hidden")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_filter_flags_columns_and_placeholder(make_app, sandbox, size):
    """Issue 17: every flag filters the users its label says (the "access key" flag matched
    only root); the placeholder and the list of flags are not cut; the user column comes
    first, then the flags, and at 120x40 both need no sideways scrolling."""
    from screens.compat import screen_lines
    from wizard.credreport.table import FLAG_LABELS

    app = make_app(sandbox=sandbox)
    async with app.run_test(size=size) as pilot:
        screen = await open_report(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        field, table = screen.query_one("#filter"), screen.query_one("#users")
        screen.query_one("#filter-help").scroll_visible(top=True, animate=False)
        await settle(app, pilot)
        shown = [line.text for line in screen_lines(app)[1]]
        for label in FLAG_LABELS:  # each flag whole on one line
            assert any(label in line for line in shown), (label, shown)
        assert any(field.placeholder in line for line in shown)  # not cut
        assert [label for label, _ in table.columns][:2] == ["User", "Flags"]
        if size == (120, 40):
            assert sum(width + 2 for _, width in table.columns[:2]) <= table.scrollable_content_region.width
        rows = {r.user: r for r in screen._rows}
        field.focus()
        for label in FLAG_LABELS:
            field.value = label
            await pilot.press("enter")
            expected = [name for name, r in rows.items() if label in r.flags]
            assert 0 < len(expected) < len(rows), label  # the sandbox has users on both sides
            assert table_users(screen) == expected, label
        field.value = "access key"
        await pilot.press("enter")
        assert {"<root_account>", "alice.nguyen", "erin.walsh", "svc-backup"} <= set(table_users(screen))
        assert "carol.diaz" not in table_users(screen)  # no access key


async def test_a_file_error_goes_after_a_later_report(make_app, sandbox, tmp_path):
    """Issue 17: the error of a bad file described that file; a report generated after it
    (it worked) takes the message away."""
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,report\n")
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(app, pilot)
        await analyse_file(app, pilot, screen, bad)
        assert "bad.csv" in text(screen, "#file-error")
        await pilot.press("f2")  # generate and download
        await settle(app, pilot)
        assert not screen.query_one("#results").has_class("hidden")
        assert text(screen, "#file-error") == ""
