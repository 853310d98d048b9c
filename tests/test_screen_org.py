"""The organisation view driven by the Pilot against the sandbox organisation's server:
audit with progress, the verdict filter, the account detail, remediation of the selected
accounts with confirmation and read-back, at 120x40 and 80x24."""

from __future__ import annotations

import pytest

from conftest import settle
from screens.org import OrgApp, OrgScreen
from wizard import organizations as org
from wizard.aws import AwsAccess
from wizard.org_record import verify_org
from wizard.record import read_record
from wizard.record_verify import check_integrity


@pytest.fixture
def org_sb():
    from wizard.org_sandbox import start_org_sandbox

    sb = start_org_sandbox()
    yield sb
    sb.stop()


def make(sb, tmp_path) -> OrgApp:
    session = org.OrgSession(AwsAccess(sb.connection_settings(max_attempts=2)), tmp_path / "state",
                             sandbox=sb)
    return OrgApp(session)


def table_ids(screen) -> list[str]:
    table = screen.query_one("#accounts")
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def put_cursor_on(screen, account_id: str) -> None:
    table = screen.query_one("#accounts")
    table.focus()
    table.move_cursor(row=table_ids(screen).index(account_id))


async def audit(app, pilot) -> OrgScreen:
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, OrgScreen)
    assert "o-rootwizard" in str(screen.query_one("#org-banner").render())
    await pilot.click("#audit")
    await settle(app, pilot)
    return screen


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_audit_filter_and_detail(org_sb, tmp_path, size):
    app = make(org_sb, tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await audit(app, pilot)
        assert len(table_ids(screen)) == 21
        assert screen.query_one("#org-error").has_class("hidden")
        assert "6 credentials present" in str(screen.query_one("#org-progress-text").render())
        screen.query_one("#verdict-filter").value = "error"
        await pilot.pause()
        assert sorted(table_ids(screen)) == sorted(
            [org_sb.account_id_of("locked-by-scp"), org_sb.account_id_of("busy-batch")])
        detail = str(screen.query_one("#detail").render())
        assert "Verdict: error" in detail
        screen.query_one("#verdict-filter").value = "all"
        await pilot.pause()
        assert len(table_ids(screen)) == 21
        # The account column stays in view when the table scrolls sideways.
        assert screen.query_one("#accounts").fixed_columns == 2
        saved = tmp_path / "state" / org_sb.account_id / "org-audit.json"
        assert saved.is_file()


async def test_remediate_selected_with_confirmation_and_read_back(org_sb, tmp_path):
    app = make(org_sb, tmp_path)
    web = org_sb.account_id_of("prod-web")
    crm = org_sb.account_id_of("legacy-crm")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await audit(app, pilot)
        put_cursor_on(screen, web)
        await pilot.press("space")
        assert screen.selected == {web}
        put_cursor_on(screen, org_sb.account_id_of("shared-network"))
        await pilot.press("space")  # a clean account cannot be selected
        assert screen.selected == {web}
        await pilot.press("r")
        await settle(app, pilot)
        dialog_text = str(app.screen.query_one("#dialog-text").render())
        assert web in dialog_text and crm not in dialog_text
        await pilot.click("#remove")
        await settle(app, pilot)
        assert screen.rows[web].verdict == org.NO_ROOT_CREDENTIALS
        assert screen.rows[crm].verdict == org.CREDENTIALS_PRESENT  # not named, not touched
        assert org_sb.roots[crm].password_created is not None
        [run] = app.session.remediations
        assert run.accounts[0].verified and run.accounts[0].account_id == web
        put_cursor_on(screen, web)
        await pilot.pause()
        assert "verified" in str(screen.query_one("#detail").render())
        assert list((tmp_path / "state" / org_sb.account_id).glob("org-remediation-*.json"))
        # The organization record (key e): one section per account, the remediation's
        # before/after in prod-web's; `rootwizard verify` finds it still true.
        await pilot.press("e")
        await settle(app, pilot)
        [path] = (tmp_path / "state" / org_sb.account_id).glob("org-record-*.json")
        record = read_record(path)
        sections = {a["account_id"]: a for a in record["body"]["accounts"]}
        assert len(sections) == 21 and sections[web]["remediation"]["before"]["verdict"] == "credentials_present"
        assert sections[web]["verdict"] == "no_root_credentials" and sections[crm]["remediation"] is None
        result = verify_org(record, path, app.session.aws, check_integrity(record, path, None))
        assert result.exit_code == 0 and result.counts["changed"] == 0, result.text_lines()


async def test_export_before_audit_writes_nothing(org_sb, tmp_path):
    app = make(org_sb, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert not list((tmp_path / "state").rglob("org-record-*.json"))
        assert any("Audit the organization first" in n.message for n in app._notifications)


async def test_cancel_removes_nothing(org_sb, tmp_path):
    app = make(org_sb, tmp_path)
    web = org_sb.account_id_of("prod-web")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await audit(app, pilot)
        put_cursor_on(screen, web)
        await pilot.press("space", "r")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert org_sb.roots[web].key_ids and org_sb.roots[web].password_created is not None
        assert not app.session.remediations


async def test_not_ready_says_what_to_run(tmp_path):
    from wizard.org_sandbox import start_org_sandbox

    with start_org_sandbox(features=()) as sb:
        app = make(sb, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            error = str(screen.query_one("#org-error").render())
            assert "not ready" in error and "rootwizard org enable" in error
            assert screen.query_one("#audit").disabled


async def test_demo_org_starts_the_sandbox_organization_in_a_worker(tmp_path):
    """`rootwizard --demo --org`: the first screen is drawn before the sandbox starts."""
    from wizard.aws import ConnectionSettings

    session = org.OrgSession(AwsAccess(ConnectionSettings()), tmp_path / "state", demo=True)
    app = OrgApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Connecting" in str(app.screen.query_one("#org-status").render())
        screen = await audit(app, pilot)
        assert "SANDBOX ORGANIZATION" in str(screen.query_one("#org-banner").render())
        assert len(table_ids(screen)) == 21
    assert session.sandbox is None  # stopped with the app


def test_an_unexpected_error_in_the_org_view_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    """The organization view has the wizard's last resort: one line (no traceback) on the
    terminal, the traceback only in the log, exit code 2 (issue 14)."""
    import logging

    from wizard.aws import ConnectionSettings

    def boom(self) -> None:
        raise TypeError("a bug [/] \x1b]0;T\x07")

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    monkeypatch.setattr(logging.getLogger("rootwizard"), "handlers", [handler])
    monkeypatch.setattr(OrgScreen, "on_mount", boom)
    session = org.OrgSession(AwsAccess(ConnectionSettings(endpoint_url="http://127.0.0.1:9", region="us-east-1")),
                             tmp_path / "state", demo=True)
    app = OrgApp(session)
    app.run(headless=True)
    assert app.return_code == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "rootwizard: unexpected error (TypeError); nothing more was done" in " ".join((out.out + out.err).split())
    assert [r.exc_info[0] for r in records if r.exc_info] == [TypeError]
