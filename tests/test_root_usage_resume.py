"""Issue 15 item 4: after --resume the root-usage step reads the credential report the
session kept, not "No credential report was analysed in this run"."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import settle
from synthetic import generate_synthetic_report
from wizard import report_flow
from wizard.checklist import Checklist, Status
from wizard.credreport import parse_report

ACCOUNT = "123456789012"


def _kept_session(tmp_path) -> tuple[Checklist, bytes]:
    now = datetime.now(UTC).replace(microsecond=0)
    content = generate_synthetic_report(20, now, seed=3)
    found = parse_report(content).account_id
    data = content.replace(f"::{found}:", f"::{ACCOUNT}:").encode()
    saved = tmp_path / "credential-report-kept.csv"
    saved.write_bytes(data)
    result = report_flow.analyse_content(data, source=report_flow.SOURCE_AWS, now=now, generated_time=now)
    cl = Checklist(account_id=ACCOUNT, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ops")
    cl.set_status("credential_report", Status.DONE, evidence=report_flow.evidence(result, saved), source="aws")
    return cl, data


def test_load_kept_analyses_the_saved_copy(tmp_path):
    cl, data = _kept_session(tmp_path)
    kept = report_flow.load_kept(cl, datetime.now(UTC))
    assert kept is not None and kept.content == data
    assert kept.analysis.user_count == 20 and kept.generated_time is not None


def test_load_kept_refuses_a_changed_or_missing_copy(tmp_path):
    cl, data = _kept_session(tmp_path)
    path = tmp_path / "credential-report-kept.csv"
    path.write_bytes(data.replace(b"false", b"true", 1))  # edited after it was kept
    assert report_flow.load_kept(cl, datetime.now(UTC)) is None
    path.unlink()
    assert report_flow.load_kept(cl, datetime.now(UTC)) is None
    assert report_flow.load_kept(Checklist(account_id=ACCOUNT), datetime.now(UTC)) is None


async def test_resumed_session_root_usage_reads_the_kept_report(make_app, tmp_path):
    cl, _ = _kept_session(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.ctx.analysis is None  # nothing analysed in this run
        app.ctx.checklist.steps["credential_report"] = cl.step("credential_report")
        app.goto("root_usage")
        await settle(app, pilot)
        usage = str(app.screen.query_one("#root-usage").render())
        assert "No credential report was analysed" not in usage
        assert "kept in this session" in usage and "Root last used:" in usage
