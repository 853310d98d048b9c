"""`rootwizard org ...` end to end: in a subprocess with --demo, and in-process against
the sandbox organisation's server reached through AWS_ENDPOINT_URL (as against AWS)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from wizard import cli
from wizard import organizations as org

ROOTWIZARD = [sys.executable, "-m", "wizard.cli"]
AUDIT_KEYS = {"organization_id", "management_account_id", "caller_arn", "features", "accounts", "counts"}
ROW_KEYS = {"account_id", "name", "status", "verdict", "password_present", "mfa_devices", "access_keys",
            "signing_certificates", "error"}


def run(args, state_dir, timeout=180, **kw):
    env = {**os.environ, "ROOTWIZARD_STATE_DIR": str(state_dir)}
    return subprocess.run(ROOTWIZARD + args, capture_output=True, text=True, timeout=timeout, env=env, **kw)


def main(args, tmp_path, capsys):
    code = cli.main([*args, "--state-dir", str(tmp_path / "state")])
    out, err = capsys.readouterr()
    return code, out, err


# ---- subprocess, --demo ----------------------------------------------------------------------

def test_demo_audit_json_subprocess(tmp_path):
    r = run(["org", "audit", "--demo", "--json", "--concurrency", "6"], tmp_path)
    assert r.returncode == 1, r.stderr  # findings
    doc = json.loads(r.stdout)
    assert AUDIT_KEYS <= set(doc)
    assert doc["features"] == ["RootCredentialsManagement", "RootSessions"]
    rows = {a["name"]: a for a in doc["accounts"]}
    assert all(ROW_KEYS <= set(a) for a in doc["accounts"])
    assert rows["prod-payments"]["verdict"] == "credentials_present"
    assert rows["shared-network"]["verdict"] == "no_root_credentials"
    assert rows["closed-2023"]["verdict"] == "skipped" and rows["closed-2023"]["status"] == "SUSPENDED"
    assert rows["locked-by-scp"]["verdict"] == "error" and "service control policy" in rows["locked-by-scp"]["error"]
    assert rows["busy-batch"]["verdict"] == "error"
    assert doc["counts"] == {"no_root_credentials": 11, "credentials_present": 6, "skipped": 2, "error": 2}
    assert "ETA" in r.stderr and "21/21 accounts" in r.stderr  # progress on stderr only


def test_demo_status_subprocess(tmp_path):
    r = run(["org", "status", "--demo", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["caller_role"] == "management" and doc["ready_for_audit"] is True
    assert doc["trusted_access_iam"] is True and doc["missing"] == []


def test_demo_audit_interrupted_then_resumed_subprocess(tmp_path):
    """Ctrl-C keeps what was read; a second run with --resume reads only the rest."""
    env = {**os.environ, "ROOTWIZARD_STATE_DIR": str(tmp_path)}
    proc = subprocess.Popen(ROOTWIZARD + ["org", "audit", "--demo", "--concurrency", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    while line and "/21 accounts" not in line:
        line = proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    saved = json.loads((tmp_path / "111122223333" / "org-audit.json").read_text())
    assert saved["audit"]["complete"] is False
    kept = [a for a in saved["audit"]["accounts"] if a["verdict"] != "error"]
    assert 1 <= len(kept) < 21

    r = run(["org", "audit", "--demo", "--resume", "--json"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert f"resuming: {len(kept)} of 21 accounts already read" in r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["accounts"]) == 21 and doc["complete"] is True
    assert sorted(a["account_id"] for a in doc["accounts"]) == sorted({a["account_id"] for a in doc["accounts"]})


def test_demo_remediate_subprocess_reads_back(tmp_path):
    r = run(["org", "remediate", "--demo", "--accounts", "210000000003", "--delete", "keys,password",
             "--yes", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    [acc] = doc["accounts"]
    assert acc["account_id"] == "210000000003" and acc["verified"] is True
    assert acc["before"]["verdict"] == "credentials_present"
    assert acc["after"]["verdict"] == "no_root_credentials"
    records = list((tmp_path / "111122223333").glob("org-remediation-*.json"))
    assert len(records) == 1
    assert json.loads(records[0].read_text())["remediation"]["accounts"][0]["verified"] is True
    assert oct(records[0].stat().st_mode & 0o777) == "0o600"


# ---- in-process, through AWS_ENDPOINT_URL ------------------------------------------------------

def test_resume_after_interruption_reads_only_the_rest(endpoint_org, tmp_path, capsys, monkeypatch):
    from wizard import org_cli

    seen = {"n": 0}
    real_update = org_cli.Progress.update

    def interrupt_after_six(self, row):
        real_update(self, row)
        seen["n"] += 1
        if seen["n"] == 6:
            raise KeyboardInterrupt

    monkeypatch.setattr(org_cli.Progress, "update", interrupt_after_six)
    code, out, err = main(["org", "audit", "--concurrency", "2"], tmp_path, capsys)
    assert code == 130 and "interrupted: 6 accounts read" in err
    assert "Counts:" in out  # what was read is shown
    monkeypatch.setattr(org_cli.Progress, "update", real_update)
    # Accounts already started when Ctrl-C came finish in their threads (not recorded).
    deadline = time.monotonic() + 60
    while any(t.name.startswith("rootwizard-aws") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    first_sessions = endpoint_org.calls["sts:AssumeRoot"]

    code, out, err = main(["org", "audit", "--resume", "--json"], tmp_path, capsys)
    doc = json.loads(out)
    assert code == 1 and len(doc["accounts"]) == 21 and doc["complete"]
    kept = int(err.split("resuming: ")[1].split(" of")[0])
    assert kept >= 5
    new_rows = doc["accounts"][kept:]  # kept rows come first
    assert endpoint_org.calls["sts:AssumeRoot"] - first_sessions == sum(
        1 for a in new_rows if a["verdict"] != "skipped")


def test_audit_accounts_filter_and_bad_input(endpoint_org, tmp_path, capsys):
    ids = [endpoint_org.account_id_of("shared-network"), endpoint_org.account_id_of("dev-team-b")]
    code, out, err = main(["org", "audit", "--accounts", ",".join(ids), "--json"], tmp_path, capsys)
    assert code == 0, err  # audited and clean
    doc = json.loads(out)
    assert sorted(a["account_id"] for a in doc["accounts"]) == sorted(ids)
    assert doc["counts"]["no_root_credentials"] == 2
    code, out, err = main(["org", "audit", "--accounts", "999999999999"], tmp_path, capsys)
    assert code == 2 and "not accounts of organization" in err and err.count("\n") == 1
    code, out, err = main(["org", "audit", "--accounts", "12ab"], tmp_path, capsys)
    assert code == 2 and "not an AWS account ID" in err


def test_remediate_never_touches_an_account_not_named(endpoint_org, tmp_path, capsys):
    from wizard.aws import AwsAccess

    aws = AwsAccess(endpoint_org.connection_settings(max_attempts=2))
    ctx = org.prepare_audit(aws)

    def snapshot():
        rows = org.run_audit(aws, ctx, list(org.list_accounts(aws)), concurrency=6)
        return {r.account_id: r.describe() for r in rows if r.verdict != org.ERROR}

    before = snapshot()
    web, billing = endpoint_org.account_id_of("prod-web"), endpoint_org.account_id_of("legacy-billing")
    code, out, err = main(["org", "remediate", "--accounts", f"{web},{billing}", "--delete",
                           "keys,certificates", "--yes"], tmp_path, capsys)
    assert code == 0, out + err
    assert "verified" in out and "NOT verified" not in out
    after = snapshot()
    changed = {a for a in before if before[a] != after[a]}
    assert changed == {web, billing}
    assert "password" in after[web] and "key" not in after[web]  # only what --delete named


def test_remediate_refusals_change_nothing(endpoint_org, tmp_path, capsys):
    web = endpoint_org.account_id_of("prod-web")
    before = dict(endpoint_org.calls)
    for args, text in (
        (["--accounts", web, "--yes"], "with --yes, name what to remove"),
        (["--accounts", endpoint_org.account_id, "--delete", "keys", "--yes"], "management account"),
        (["--accounts", endpoint_org.account_id_of("closed-2023"), "--delete", "keys", "--yes"], "SUSPENDED"),
        (["--accounts", "999999999999", "--delete", "keys", "--yes"], "not an account of organization"),
        (["--accounts", web, "--delete", "root", "--yes"], "--delete takes"),
        ([], "name the accounts"),
    ):
        code, out, err = main(["org", "remediate", *args], tmp_path, capsys)
        assert code == 2 and text in err, (args, err)
    # No terminal to ask and no --yes: shown, not done.
    code, out, err = main(["org", "remediate", "--accounts", web], tmp_path, capsys)
    assert code == 1 and "Plan" in out and "Nothing was changed" in err
    assert not any(k.startswith("iam:Delete") for k in endpoint_org.calls if k not in before)
    assert endpoint_org.roots[web].key_ids and endpoint_org.roots[web].password_created


def test_allow_password_recovery_cli(endpoint_org, tmp_path, capsys):
    account = endpoint_org.account_id_of("security-audit")
    code, out, err = main(["org", "remediate", "--allow-password-recovery", account, "--yes", "--json"],
                          tmp_path, capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["password_recovery"] == [{"account_id": account, "password_present_before": False,
                                         "password_present_after": True, "verified": True, "error": None}]


def test_status_enable_cli_with_features_off(monkeypatch, tmp_path, capsys):
    from wizard.org_sandbox import start_org_sandbox

    with start_org_sandbox(features=(), trusted_access=False) as sb:
        monkeypatch.setenv("AWS_ENDPOINT_URL", sb.endpoint_url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sb.management.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sb.management.secret_access_key)
        monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
        code, out, err = main(["org", "status"], tmp_path, capsys)
        assert code == 1
        assert "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com" in out
        assert "aws iam enable-organizations-root-credentials-management" in out
        code, out, err = main(["org", "audit"], tmp_path, capsys)
        assert code == 2 and "not ready" in err
        code, out, err = main(["org", "enable"], tmp_path, capsys)
        assert code == 1 and "Nothing was changed" in err
        code, out, err = main(["org", "enable", "--yes", "--json"], tmp_path, capsys)
        assert code == 0, err
        doc = json.loads(out)
        assert doc["features"] == ["RootCredentialsManagement", "RootSessions"] and doc["missing"] == []
        code, out, err = main(["org", "status", "--json"], tmp_path, capsys)
        assert code == 0 and json.loads(out)["ready_for_audit"] is True


def test_org_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["org", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for sub in ("status", "enable", "audit", "remediate"):
        assert sub in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["org", "audit", "--concurrency", "0"])
    assert exit_.value.code == 2


def test_root_session_secrets_never_reach_the_log_or_the_state_folder(endpoint_org, tmp_path, capsys):
    from moto.iam.models import iam_backends

    from wizard import org_sandbox

    log = tmp_path / "debug.log"
    code, out, err = main(["org", "audit", "--json", "--log-file", str(log)], tmp_path, capsys)
    assert code == 1
    secrets = [iam_backends[s.account_id]["global"].access_keys[key].secret_access_key
               for key, s in org_sandbox._SESSIONS.items() if s.org is endpoint_org]
    assert len(secrets) >= 17
    written = log.read_text() + out + err + "".join(
        p.read_text() for p in (tmp_path / "state").rglob("*.json"))
    assert "sts:AssumeRoot" in log.read_text()
    assert not [s for s in secrets if s in written]
