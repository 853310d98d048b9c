"""Residual risk: the one rule table (wizard.rules) evaluated over the live after-state."""

from __future__ import annotations

import pytest

from wizard.after_state import AccessKey, AfterState, ReportFacts, UserState
from wizard.checklist import Checklist, Status
from wizard.residual import _PERMISSION, cis_shown, entry_note, live_analysis, open_findings
from wizard.rules import RULES, RULES_BY_ID

READ = "2026-11-24T10:00:00+00:00"
ROOT = {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 1,
        "AccountSigningCertificatesPresent": 0}
# the session's credential report: root's password last used long ago, no root key
REPORT = ReportFacts("2026-11-24T09:00:00+00:00", False, "2026-01-01T00:00:00+00:00", ())


def key(n, status="Active", created="2026-11-20T00:00:00+00:00", used="2026-11-23T00:00:00+00:00"):
    return AccessKey(f"AKIA{n:016d}", status, created, used, "s3" if used else None, "us-east-1" if used else None)


def state(users=(), root=ROOT, report=REPORT, **kw):
    base = dict(account_id="123456789012", read_at=READ, root=dict(root) if root is not None else None,
                password_policy={"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}, policy_present=True,
                alternate_contacts={"SECURITY": True, "OPERATIONS": True, "BILLING": True}, users=users,
                report=report)
    base.update(kw)
    return AfterState(**base)


def user(name, console=True, used="2026-11-23T00:00:00+00:00", mfa=("arn:mfa",), keys=(), certs=()):
    return UserState(name, console, used, tuple(mfa), tuple(keys), "2020-01-01T00:00:00+00:00",
                     "2020-01-01T00:00:00+00:00" if console else None, tuple(certs))


def ids(s, cl=None):
    return {f["id"]: f for f in open_findings(s, cl)}


def test_a_clean_account_has_no_residual_risk():
    assert open_findings(state((user("alice", keys=(key(1),)),))) == []


def test_user_credentials_are_judged_by_the_rule_table():
    s = state((
        user("old", keys=(key(1, created="2026-01-01T00:00:00+00:00"),)),
        user("idle", used="2026-06-01T00:00:00+00:00"),
        user("never", used=None, mfa=()),
        user("svc", console=False, mfa=(), keys=(key(2, used=None), key(3, status="Inactive"))),
        user("two", console=False, mfa=(), keys=(key(4), key(5))),
        user("cert", console=False, mfa=(), certs=("CERT1",)),
    ))
    found = ids(s)
    assert found["access-key-older-than-90-days"]["subjects"] == ["old:access_key_1"]
    assert found["password-unused-over-90-days"]["subjects"] == ["idle:password"]
    assert found["console-user-without-mfa"]["subjects"] == ["never"]
    assert found["console-password-never-used"]["subjects"] == ["never"]
    assert found["access-key-never-used"]["subjects"] == ["svc:access_key_1"]
    assert found["access-key-inactive"]["subjects"] == ["svc:access_key_2"]
    assert found["user-with-two-active-keys"]["subjects"] == ["two"]
    assert found["signing-certificate-active"]["subjects"] == ["cert:cert_1"]
    # a password never used counts from when it was set (2020), as in the report
    assert {"idle:password", "never:password"} <= set(found["credential-unused-over-45-days"]["subjects"])
    assert not any(f["unknown"] for f in found.values())
    assert found["console-user-without-mfa"]["cis"] == dict(RULES_BY_ID["console-user-without-mfa"].cis)
    assert cis_shown(found["console-user-without-mfa"]["cis"]) == "CIS v5.0.0 1.9, v7.0.0 2.10"
    assert cis_shown(found["access-key-inactive"]["cis"]) == "not a CIS recommendation"
    assert [f["severity"] for f in open_findings(s)] == sorted(
        (f["severity"] for f in open_findings(s)), key=("critical", "high", "medium", "low").index)


def test_root_facts_live_and_from_the_report():
    found = ids(state(root={**ROOT, "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1}))
    assert found["root-mfa-missing"]["subjects"] == ["<root_account>"]
    # the report knows no root key: one AWS counts now is taken as active
    assert found["root-access-key-active"]["subjects"] == ["<root_account>:access_key_1"]
    report = ReportFacts("2026-11-24T09:00:00+00:00", True, "2026-11-23T00:00:00+00:00",
                         ({"key": 1, "active": False, "last_used_date": "N/A"},))
    found = ids(state(root={**ROOT, "AccountAccessKeysPresent": 1}, report=report))
    assert "root-access-key-inactive" in found and "root-access-key-active" not in found
    assert found["root-used-recently"]["subjects"] == ["<root_account>:password"]
    assert found["root-used-recently"]["note"] == "from the credential report generated 2026-11-24T09:00:00+00:00"
    keyed = ReportFacts("2026-11-24T09:00:00+00:00", False, "2026-01-01T00:00:00+00:00",
                        ({"key": 1, "active": True, "last_used_date": "2026-11-22T00:00:00+00:00",
                          "last_used_service": "s3", "last_used_region": "us-east-1"},))
    found = ids(state(root={**ROOT, "AccountAccessKeysPresent": 1}, report=keyed))
    assert found["root-used-recently"]["subjects"] == ["<root_account>:access_key_1"]  # a key is root use too
    assert "root-used-recently" not in ids(state())  # last used in January
    removed = state(root={k: 0 for k in ROOT}, report=None)  # centralized root access: no credential at all
    assert "root-mfa-missing" not in ids(removed) and "root-used-recently" not in ids(removed)


def test_root_use_without_a_credential_report_is_unknown_not_assumed():
    f = ids(state(report=None))["root-used-recently"]
    assert f["unknown"] is True and f["subjects"] == []
    assert f["note"] == "not known: root's last use is shown only by a credential report, and none was read"


@pytest.mark.parametrize(("kw", "rule", "permission"), [
    ({"users": None, "missing": {"users": "iam:ListUsers"}}, "console-user-without-mfa", "iam:ListUsers"),
    ({"users": None, "missing": {"users.mfa_devices": "iam:ListMFADevices"}}, "console-user-without-mfa",
     "iam:ListMFADevices"),
    ({"users": None, "missing": {"users": "iam:ListUsers"}}, "access-key-older-than-90-days", "iam:ListUsers"),
    ({"root": None, "missing": {"root": "iam:GetAccountSummary"}}, "root-mfa-missing", "iam:GetAccountSummary"),
    ({"root": {"AccountAccessKeysPresent": 0}}, "root-mfa-missing", "iam:GetAccountSummary"),
    ({"policy_present": None, "password_policy": None, "missing": {"password_policy": "iam:GetAccountPasswordPolicy"}},
     "password-policy-length-below-14", "iam:GetAccountPasswordPolicy"),
    ({"alternate_contacts": None}, "alternate-contact-missing", "account:GetAlternateContact"),
    ({"users": (user("a", keys=(key(1, used=None),)),),
      "missing": {"users.access_keys.last_used": "iam:GetAccessKeyLastUsed"}},
     "access-key-never-used", "iam:GetAccessKeyLastUsed"),
    ({"users": (UserState("a", False, None, (), None, None, None, ()),),
      "missing": {"users.access_keys": "iam:ListAccessKeys"}}, "user-with-two-active-keys", "iam:ListAccessKeys"),
    ({"users": (UserState("a", False, None, (), (), None, None, None),)}, "signing-certificate-active",
     "iam:ListSigningCertificates"),
])
def test_what_could_not_be_read_is_open_and_names_the_permission(kw, rule, permission):
    f = ids(state(**kw))[rule]
    assert f["unknown"] is True and f["note"] == f"not readable: needs {permission}"


def test_a_part_not_read_leaves_the_rules_that_do_not_read_it_judged():
    s = state(users=(UserState("a", True, "2026-11-23T00:00:00+00:00", (), None, None, None, ()),),
              missing={"users.access_keys": "iam:ListAccessKeys"})
    found = ids(s)
    assert found["console-user-without-mfa"]["unknown"] is False
    assert found["console-user-without-mfa"]["subjects"] == ["a"]
    assert found["access-key-older-than-90-days"]["unknown"] is True
    assert "root-mfa-missing" not in found and "password-policy-length-below-14" not in found


def test_every_rule_says_what_it_reads():
    for rule in RULES:
        assert rule.reads and set(rule.reads) <= set(_PERMISSION) | {"report"}, rule.id


def test_settings_and_the_operators_reason():
    s = state(password_policy={"MinimumPasswordLength": 8, "PasswordReusePrevention": 24},
              alternate_contacts={"SECURITY": True, "OPERATIONS": False, "BILLING": True},
              users=(user("bob", mfa=()),))
    cl = Checklist(account_id="123456789012")
    cl.set_status("iam_user_mfa", Status.SKIPPED, reason="bob leaves on Friday")
    found = ids(s, cl)
    assert found["password-policy-length-below-14"]["subjects"] == ["password policy: minimum length 8"]
    assert "password-policy-reuse-below-24" not in found
    assert found["alternate-contact-missing"]["subjects"] == ["operations contact"]
    assert found["alternate-contact-missing"]["cis"]["v7.0.0"] == "2.3"
    assert found["console-user-without-mfa"]["skip_reason"] == "bob leaves on Friday"
    assert found["password-policy-length-below-14"]["skip_reason"] == ""
    none = ids(state(policy_present=False, password_policy=None))  # no policy: AWS's default (no reuse rule)
    assert none["password-policy-length-below-14"]["subjects"] == ["password policy: minimum length not set"]
    assert none["password-policy-reuse-below-24"]["subjects"] == ["password policy: reuse prevention not set"]


def test_live_analysis_counts():
    a = live_analysis(state((user("a", keys=(key(1), key(2))),)))
    assert a.users_with_two_active_keys == ("a",) and a.access_keys_active_count == 2
    assert a.password_policy == {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}


def test_the_record_says_why_a_finding_is_unknown():
    from wizard.record import build_record, render

    cl = Checklist(account_id="123456789012")
    text = render(build_record(cl, residual=open_findings(state(users=None, missing={"users": "iam:ListUsers"}), cl)),
                  "markdown")
    row = next(line for line in text.splitlines() if "console-user-without-mfa" in line and line.startswith("|"))
    assert "not readable: needs iam:ListUsers" in row
    assert entry_note({"id": "x", "unknown": True}) == "not readable"  # an older record's entry has no note
    assert entry_note({"id": "x", "unknown": False}) == ""
