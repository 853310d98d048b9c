"""The finding rule table: stable ids, CIS numbers per version, one loop, JSON form."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from wizard import rules
from wizard.checklist import STEPS_BY_ID
from wizard.credreport import analyse, parse_report, to_audit_json
from wizard.rules import CIS_VERSIONS, RULES, RULES_BY_ID, SEVERITIES, Finding, Rule

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)

# Every finding the audit produced before the table existed, by title: the table keeps them all.
TITLES = {
    "root-mfa-missing": "Root user has no MFA",
    "root-access-key-active": "Root user has an active access key",
    "root-access-key-inactive": "Root user has an inactive access key",
    "root-signing-certificate-active": "Root user has an active signing certificate",
    "root-used-recently": "Root user used recently",
    "console-user-without-mfa": "Console users without MFA",
    "access-key-older-than-90-days": "Active access keys older than 90 days",
    "credential-unused-over-45-days": "Credentials unused for more than 45 days",
    "password-unused-over-90-days": "Console passwords unused for more than 90 days",
    "console-password-never-used": "Console passwords never used",
    "access-key-never-used": "Active access keys never used",
    "user-with-two-active-keys": "Users with two active access keys",
    "access-key-inactive": "Inactive access keys",
    "signing-certificate-active": "Active signing certificates",
    # account settings: judged on a live read of the account (wizard.residual), never by `audit`
    "password-policy-length-below-14": "Password policy minimum length below 14",
    "password-policy-reuse-below-24": "Password policy does not prevent reuse of 24",
    "alternate-contact-missing": "Alternate contact not set",
}
SETTINGS = ("password-policy-length-below-14", "password-policy-reuse-below-24", "alternate-contact-missing")


def test_every_rule_is_complete_and_its_id_stable():
    assert {r.id: r.title for r in RULES} == TITLES
    assert len(RULES_BY_ID) == len(RULES)
    for r in RULES:
        assert isinstance(r, Rule) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.id)
        assert r.severity in SEVERITIES and r.why and r.fix
        assert r.step is None or r.step in STEPS_BY_ID, r.id
        assert set(r.cis) <= set(CIS_VERSIONS)
        assert all(re.fullmatch(r"[12]\.[0-9]+(\.[0-9]+)?", n) for n in r.cis.values())
        assert r.command is None or r.command.startswith("aws ")


def test_cis_numbers_follow_the_facts_table():
    assert RULES_BY_ID["root-mfa-missing"].cis == {
        "v3.0.0": "1.5", "v4.0.1": "1.5", "v5.0.0": "1.4", "v6.0.0": "2.4", "v7.0.0": "2.5"}
    assert RULES_BY_ID["root-access-key-active"].cis["v7.0.0"] == "2.4"
    assert RULES_BY_ID["access-key-older-than-90-days"].cis["v7.0.0"] == "2.12"
    # v7.0.0 retired "no access keys at initial setup" and "one active access key per user"
    assert "v7.0.0" not in RULES_BY_ID["access-key-never-used"].cis
    assert RULES_BY_ID["user-with-two-active-keys"].cis == {
        "v3.0.0": "1.13", "v4.0.1": "1.13", "v5.0.0": "1.12", "v6.0.0": "2.12"}
    assert RULES_BY_ID["user-with-two-active-keys"].cis_text() == "CIS v5.0.0 1.12 (not in v7.0.0)"
    assert RULES_BY_ID["access-key-inactive"].cis_text() == "not a CIS recommendation"
    assert RULES_BY_ID["password-policy-length-below-14"].cis == {
        "v3.0.0": "1.8", "v4.0.1": "1.8", "v5.0.0": "1.7", "v6.0.0": "2.7", "v7.0.0": "2.8"}
    assert RULES_BY_ID["password-policy-reuse-below-24"].cis_text() == "CIS v5.0.0 1.8, v7.0.0 2.9"
    assert RULES_BY_ID["alternate-contact-missing"].cis_text() == "CIS v5.0.0 1.2, v7.0.0 2.3"


def test_a_credential_report_never_judges_the_account_settings():
    from synthetic import generate_synthetic_report

    analysis = analyse(parse_report(generate_synthetic_report(40, NOW, seed=2)), NOW)
    assert analysis.password_policy is None and analysis.alternate_contacts is None
    assert not {f.id for f in analysis.findings} & set(SETTINGS)
    assert [r.id for r in RULES][-3:] == list(SETTINGS)


def test_json_findings_and_strict(tmp_path):
    from synthetic import generate_synthetic_report

    analysis = analyse(parse_report(generate_synthetic_report(40, NOW, seed=2)), NOW)
    doc = to_audit_json(analysis)
    assert [f["id"] for f in doc["findings"]] == [f.id for f in analysis.findings]
    assert all(isinstance(f, Finding) for f in analysis.findings)
    by_id = {f["id"]: f for f in doc["findings"]}
    assert by_id["console-user-without-mfa"]["subjects"] == doc["console_users_without_mfa"]
    assert by_id["access-key-older-than-90-days"]["subjects"] == [
        f"{e['user']}:access_key_{e['key']}" for e in doc["access_keys_older_than_90_days"]]
    assert [f.severity for f in analysis.findings] == sorted(
        (f.severity for f in analysis.findings), key=SEVERITIES.index)


def test_an_added_rule_is_evaluated_without_other_changes(monkeypatch):
    extra = Rule("every-account", "low", "Test rule", "why", "fix", None, None, {},
                 lambda a: rules.Match((f"n={a.user_count}",), "always"))
    monkeypatch.setattr(rules, "RULES", (*RULES, extra))
    from synthetic import generate_synthetic_report

    analysis = analyse(parse_report(generate_synthetic_report(3, NOW - timedelta(days=1))), NOW)
    assert analysis.findings[-1].id == "every-account" and analysis.findings[-1].subjects == ("n=3",)
