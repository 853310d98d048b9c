"""`rootwizard` command line: help, sessions, export."""

import json
import subprocess
import sys

import pytest

from wizard import cli
from wizard.checklist import Checklist, Status
from wizard.record import verify_record
from wizard.session import SessionStore

ACCOUNT = "123456789012"


def _saved(state, account=ACCOUNT):
    store = SessionStore(state, account)
    cl = Checklist(account_id=account, caller_arn=f"arn:aws:iam::{account}:user/ops")
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    store.save(cl)
    return store


def test_help_documents_every_subcommand_and_flag():
    out = subprocess.run([sys.executable, "-m", "wizard.cli", "--help"], capture_output=True, text=True).stdout
    for word in ("sessions", "export", "audit", "password-policy", "mfa enroll", "--demo", "--resume",
                 "--profile", "--region", "--state-dir", "--log-file"):
        assert word in out
    sub = subprocess.run([sys.executable, "-m", "wizard.cli", "export", "--help"],
                         capture_output=True, text=True).stdout
    for word in ("--account", "--format", "-o", "--force"):
        assert word in sub


def test_sessions_lists_progress(tmp_path, capsys):
    _saved(tmp_path)
    assert cli.main(["sessions", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ACCOUNT in out and "1/11" in out


def test_sessions_empty(tmp_path, capsys):
    assert cli.main(["sessions", "--state-dir", str(tmp_path / "none")]) == 0
    assert "No saved sessions" in capsys.readouterr().out


def test_export_json_to_stdout_and_markdown_to_file(tmp_path, capsys):
    _saved(tmp_path)
    assert cli.main(["export", "--state-dir", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert verify_record(record) and record["body"]["account_id"] == ACCOUNT
    out = tmp_path / "record.md"
    assert cli.main(["export", "--state-dir", str(tmp_path), "--format", "markdown", "-o", str(out)]) == 0
    assert out.read_text().startswith("# AWS account security record")
    # never overwrites without --force
    assert cli.main(["export", "--state-dir", str(tmp_path), "--format", "markdown", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["export", "--state-dir", str(tmp_path), "-o", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["body_sha256"]


def test_export_needs_account_when_several(tmp_path, capsys):
    _saved(tmp_path)
    _saved(tmp_path, "210987654321")
    assert cli.main(["export", "--state-dir", str(tmp_path)]) == 2
    assert "--account" in capsys.readouterr().err
    assert cli.main(["export", "--state-dir", str(tmp_path), "--account", "210987654321"]) == 0


@pytest.mark.parametrize("argv,needle", [
    (["export", "--account", "999999999999"], "no saved session"),
    (["export", "--account", "abc"], "Not an AWS account ID"),
])
def test_export_errors_are_one_line(tmp_path, capsys, argv, needle):
    assert cli.main([*argv, "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
