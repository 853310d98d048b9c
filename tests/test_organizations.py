"""Centralized root access (wizard.organizations) against the sandbox organisation's
server: moto plus AWS-shaped AssumeRoot, ListOrganizationsFeatures and root-session IAM."""

from __future__ import annotations

import threading
import time

import pytest

from wizard import errors
from wizard import organizations as org
from wizard.aws import AwsAccess, TemporaryCredentials, run_pool


@pytest.fixture(scope="module")
def shared_org():
    """A demo organisation nobody changes (read-only tests)."""
    from wizard.org_sandbox import start_org_sandbox

    sb = start_org_sandbox()
    yield sb
    sb.stop()


@pytest.fixture
def fresh_org():
    from wizard.org_sandbox import start_org_sandbox

    sb = start_org_sandbox()
    yield sb
    sb.stop()


def access(sb) -> AwsAccess:
    return AwsAccess(sb.connection_settings(max_attempts=2))


def rows_by_name(rows):
    return {r.name: r for r in rows}


def full_audit(aws):
    ctx = org.prepare_audit(aws)
    return list(org.run_audit(aws, ctx, list(org.list_accounts(aws)), concurrency=6))


def test_describe_account_org_management_member_standalone(shared_org):
    aws = access(shared_org)
    pos = org.describe_account_org(aws)
    assert (pos.kind, pos.management_account_id, pos.all_features) == ("management", shared_org.account_id, True)
    assert pos.can_manage_roots_centrally
    # A member account's own view (a root session in that member, which may call it).
    member_id = shared_org.account_id_of("shared-network")
    member = aws.with_credentials(aws.assume_root(member_id, org.TASK_AUDIT))
    pos = org.describe_account_org(member, member_id)
    assert (pos.kind, pos.organization_id) == ("member", shared_org.organization_id)
    # An account that never joined an organisation (moto's default account): standalone.
    from wizard.aws import ConnectionSettings

    plain = AwsAccess(ConnectionSettings(endpoint_url=shared_org.endpoint_url, region="us-east-1",
                                         access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="x" * 40))
    pos = org.describe_account_org(plain)
    assert pos.kind == "standalone" and pos.detail == "not in an organization"


def test_describe_account_org_access_denied_is_an_answer():
    from botocore.stub import Stubber

    aws = AwsAccess()
    client = aws._client("organizations")
    with Stubber(client) as stub:
        stub.add_client_error("describe_organization", "AccessDeniedException", "nope", 400)
        pos = org.describe_account_org(aws, "123456789012")
        stub.assert_no_pending_responses()
    assert pos.kind == "unknown" and "organizations:DescribeOrganization" in pos.detail


def test_audit_verdicts_per_member_state_and_errors_do_not_stop_the_run(shared_org):
    rows = rows_by_name(full_audit(access(shared_org)))
    assert len(rows) == len(shared_org.specs) + 1  # every member and the management account
    assert rows["master"].verdict == org.SKIPPED and "management account" in rows["master"].note
    assert rows["closed-2023"].verdict == org.SKIPPED and "SUSPENDED" in rows["closed-2023"].note
    pay = rows["prod-payments"]
    assert (pay.verdict, pay.password_present, pay.mfa_devices, pay.access_keys) == (
        org.CREDENTIALS_PRESENT, True, 1, [])
    web = rows["prod-web"]
    assert [(k.status, k.last_used is not None) for k in web.access_keys] == [("Active", True)]
    data = rows["prod-data"]
    assert data.mfa_devices == 2 and any(s.startswith("GAHT") for s in data.mfa_serial_numbers)
    billing = rows["legacy-billing"]
    assert billing.signing_certificates == 1 and billing.access_keys[0].status == "Inactive"
    assert rows["dev-team-a"].access_keys[0].last_used is None  # a key never used
    clean = rows["shared-network"]
    assert (clean.verdict, clean.password_present, clean.mfa_devices, clean.signing_certificates) == (
        org.NO_ROOT_CREDENTIALS, False, 0, 0)
    scp = rows["locked-by-scp"]
    assert scp.verdict == org.ERROR and scp.error_code == "AccessDenied"
    assert "service control policy" in scp.error
    throttled = rows["busy-batch"]
    assert throttled.verdict == org.ERROR and throttled.error_code == "Throttling"


def test_account_list_is_paginated_with_next_token(shared_org):
    aws = access(shared_org)
    accounts = list(org.list_accounts(aws))
    assert len(accounts) == 21
    assert aws.calls.count("organizations:ListAccounts") == 2  # 20 a page


def test_each_member_gets_its_own_regional_assume_root_session(shared_org):
    aws = access(shared_org)
    ctx = org.prepare_audit(aws)
    before = shared_org.calls.get("sts:AssumeRoot", 0)
    list(org.run_audit(aws, ctx, list(org.list_accounts(aws)), concurrency=4))
    audited = len(shared_org.specs) - 1  # the suspended one is skipped without a call
    assert shared_org.calls["sts:AssumeRoot"] - before == audited
    assert aws.calls.count("sts:AssumeRoot") == audited


def test_assume_root_refuses_what_aws_refuses(shared_org):
    aws = access(shared_org)
    with pytest.raises(errors.AccessDeniedError):
        aws.assume_root(shared_org.account_id, org.TASK_AUDIT)  # the management account itself
    with pytest.raises(errors.AccessDeniedError):
        aws.assume_root(shared_org.account_id_of("closed-2023"), org.TASK_AUDIT)
    with pytest.raises(errors.AwsError) as bad_task:
        aws.assume_root(shared_org.account_id_of("dev-team-b"), "arn:aws:iam::aws:policy/AdministratorAccess")
    assert bad_task.value.code == "ValidationError"
    with pytest.raises(errors.AwsError) as too_long:  # AssumeRoot sessions last at most 900 s
        aws.assume_root(shared_org.account_id_of("dev-team-b"), org.TASK_AUDIT, 3600)
    assert too_long.value.code == "ValidationError"
    # A root session can do only what its task policy lists, and never AssumeRoot.
    member = aws.with_credentials(aws.assume_root(shared_org.account_id_of("prod-web"), org.TASK_AUDIT))
    with pytest.raises(errors.AccessDeniedError):
        member.call("iam", "delete_login_profile")
    with pytest.raises(errors.AccessDeniedError):
        member.call("iam", "list_users")
    with pytest.raises(errors.AccessDeniedError):
        member.assume_root(shared_org.account_id_of("dev-team-b"), org.TASK_AUDIT)
    assert member.call("iam", "get_login_profile")["LoginProfile"]


def test_status_and_enable_read_back():
    from wizard.org_sandbox import start_org_sandbox

    with start_org_sandbox(features=(), trusted_access=False) as sb:
        aws = access(sb)
        st = org.read_status(aws)
        assert st.caller_role == "management" and st.all_features
        assert st.trusted_access_iam is False and st.enabled_features == []
        assert "ServiceAccessNotEnabledException" in st.features_error
        assert [c.action for c in st.calls] == [
            "organizations:EnableAWSServiceAccess", "iam:EnableOrganizationsRootCredentialsManagement",
            "iam:EnableOrganizationsRootSessions"]
        assert not st.ready_for_audit
        with pytest.raises(errors.WizardError, match="not ready"):
            org.prepare_audit(aws)
        after = org.enable(aws, st.calls)
        assert after.complete and after.trusted_access_iam
        assert after.enabled_features == sorted(org.ROOT_FEATURES)
        assert after.to_json()["features"] == sorted(org.ROOT_FEATURES)


def test_features_from_a_member_account_are_refused(shared_org):
    aws = access(shared_org)
    member_id = shared_org.account_id_of("dev-team-b")
    member = aws.with_credentials(aws.assume_root(member_id, org.TASK_AUDIT))
    with pytest.raises(errors.AccessDeniedError):  # the task policy lists no such action
        member.call("iam", "list_organizations_features")


def test_remediation_removes_only_named_accounts_and_reads_back(fresh_org):
    aws = access(fresh_org)
    before_all = rows_by_name(full_audit(aws))
    target = before_all["prod-data"]  # password + virtual and hardware MFA
    done = org.remediate_account(aws, target, ["password", "mfa"])
    assert [r.kind for r in done.planned] == ["password", "mfa", "mfa"]
    assert all(o.ok for o in done.outcomes)
    assert done.after.verdict == org.NO_ROOT_CREDENTIALS and done.verified
    after_all = rows_by_name(full_audit(aws))
    for name, row in before_all.items():
        if name not in ("prod-data",) and row.verdict != org.ERROR:
            assert after_all[name].describe() == row.describe(), name
    js = done.to_json()
    assert js["before"]["password_present"] is True and js["after"]["password_present"] is False
    assert js["verified"] is True


def test_remediation_of_part_keeps_the_rest_and_says_so(fresh_org):
    aws = access(fresh_org)
    rows = rows_by_name(full_audit(aws))
    done = org.remediate_account(aws, rows["prod-web"], ["keys"])
    assert done.verified
    assert done.after.password_present is True and done.after.access_keys == []
    assert done.after.verdict == org.CREDENTIALS_PRESENT  # the password was not asked for


def test_remediation_read_back_catches_what_is_still_there(fresh_org, monkeypatch):
    """A delete AWS accepts but does not apply is not claimed as done."""
    aws = access(fresh_org)
    row = rows_by_name(full_audit(aws))["legacy-crm"]
    monkeypatch.setattr(org, "_remove", lambda member, removal: None)
    done = org.remediate_account(aws, row, ["password"])
    assert done.after.password_present is True and not done.verified


def test_remediation_error_is_reported_per_account(shared_org):
    aws = access(shared_org)
    row = org.AccountAudit(shared_org.account_id_of("locked-by-scp"), "locked-by-scp", "ACTIVE",
                           org.CREDENTIALS_PRESENT, password_present=True)
    done = org.remediate_account(aws, row, ["password"])
    assert not done.verified and done.outcomes[0].ok is False
    assert "service control policy" in done.outcomes[0].error


def test_allow_password_recovery_creates_a_login_profile_without_password(fresh_org):
    aws = access(fresh_org)
    account_id = fresh_org.account_id_of("shared-logging")
    rec = org.allow_password_recovery(aws, account_id)
    assert (rec.before, rec.after, rec.verified) == (False, True, True)
    again = org.allow_password_recovery(aws, account_id)
    assert (again.before, again.after) == (True, True)


def test_audit_json_shape_is_the_issue_s(shared_org):
    aws = access(shared_org)
    ctx = org.prepare_audit(aws)
    audit = org.OrgAudit(ctx.organization_id, ctx.management_account_id, ctx.caller_arn, ctx.features,
                         accounts=full_audit(aws))
    js = audit.to_json()
    assert {"organization_id", "management_account_id", "caller_arn", "features", "accounts",
            "counts"} <= set(js)
    for row in js["accounts"]:
        assert {"account_id", "name", "status", "verdict", "password_present", "mfa_devices",
                "access_keys", "signing_certificates", "error"} <= set(row)
        assert row["verdict"] in org.VERDICTS
        for key in row["access_keys"]:
            assert set(key) == {"id", "status", "last_used"}
    assert sum(js["counts"].values()) == len(js["accounts"])
    again = org.OrgAudit.from_json(js)
    assert again.to_json()["accounts"] == js["accounts"]


def test_parse_inputs():
    assert org.parse_account_ids(" 111111111111,222222222222,111111111111 ") == ["111111111111", "222222222222"]
    for bad in ("", "12345", "11111111111a", ","):
        with pytest.raises(errors.InputError):
            org.parse_account_ids(bad)
    assert org.parse_delete(None) == ["keys", "certificates", "password", "mfa"]
    assert org.parse_delete("mfa,password") == ["password", "mfa"]
    for bad in ("", "passwords", "keys,root"):
        with pytest.raises(errors.InputError):
            org.parse_delete(bad)


def test_verdict_rule():
    assert org.verdict_of(False, 0, 0, 0) == org.NO_ROOT_CREDENTIALS
    for args in ((True, 0, 0, 0), (False, 1, 0, 0), (False, 0, 1, 0), (False, 0, 0, 1)):
        assert org.verdict_of(*args) == org.CREDENTIALS_PRESENT


# ---- aws.py pieces -------------------------------------------------------------------------

def test_assume_root_uses_a_regional_sts_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # would pick sts.amazonaws.com
    aws = AwsAccess()
    assert aws._client("sts").meta.endpoint_url == "https://sts.amazonaws.com"
    aws._regional_sts()
    assert aws._client("sts").meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"
    from wizard.aws import ConnectionSettings

    eu = AwsAccess(ConnectionSettings(region="eu-west-1"))
    eu._regional_sts()
    assert eu._client("sts").meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    cn = AwsAccess(ConnectionSettings(region="cn-north-1"))
    cn._regional_sts()
    assert cn._client("sts").meta.endpoint_url == "https://sts.cn-north-1.amazonaws.com.cn"


def test_member_access_signs_with_the_session_token():
    aws = AwsAccess()
    creds = TemporaryCredentials("ASIAEXAMPLEEXAMPLE00", "s" * 40, "token-value")
    member = aws.with_credentials(creds)
    client = member._client("iam")
    frozen = client._request_signer._credentials.get_frozen_credentials()
    assert (frozen.access_key, frozen.token) == ("ASIAEXAMPLEEXAMPLE00", "token-value")
    assert "token-value" not in repr(creds) and "s" * 40 not in repr(creds)


def test_run_pool_bounds_the_queue_and_stops_on_close():
    started: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            started.append(n)
        time.sleep(0.01)
        return n * 2

    gen = run_pool(work, range(1000), 4)
    first = [next(gen) for _ in range(5)]
    assert all(r == i * 2 for i, r in first)
    assert len(started) <= 5 + 2 * 4
    gen.close()
    time.sleep(0.1)
    assert len(started) <= 5 + 2 * 4 + 4  # nothing new starts after close

    def boom(n: int) -> int:
        raise ValueError(n)

    results = list(run_pool(boom, range(3), 2))
    assert sorted(type(r).__name__ for _, r in results) == ["ValueError"] * 3


def test_delegated_administrator_audits_without_the_management_account(fresh_org):
    """An IAM delegated administrator (a member account) may list the features and take
    root sessions in the other members; enabling stays with the management account."""
    from moto.iam.models import iam_backends

    from wizard.aws import ConnectionSettings

    admin_account = fresh_org.account_id_of("security-tooling")
    org_client = fresh_org.session().client("organizations", endpoint_url=fresh_org.endpoint_url)
    org_client.register_delegated_administrator(AccountId=admin_account, ServicePrincipal="iam.amazonaws.com")
    backend = iam_backends[admin_account]["global"]
    backend.create_user("us-east-1", "root-auditor")
    key = backend.create_access_key("root-auditor")
    aws = AwsAccess(ConnectionSettings(endpoint_url=fresh_org.endpoint_url, region="us-east-1", max_attempts=2,
                                       access_key_id=key.access_key_id, secret_access_key=key.secret_access_key))
    st = org.read_status(aws)
    assert st.caller_role == "delegated_administrator" and st.ready_for_audit
    assert st.trusted_access_iam is None  # only the management account can read it
    # (moto answers ListAccounts from a delegated administrator with no accounts, unlike
    # AWS: the member is audited by its listing from the management account.)
    ctx = org.prepare_audit(aws)
    [row] = org.run_audit(aws, ctx, [a for a in org.list_accounts(access(fresh_org))
                                     if a.name == "prod-payments"], concurrency=1)
    assert row.verdict == org.CREDENTIALS_PRESENT and row.password_present
    with pytest.raises(errors.AwsError) as refused:
        aws.call("iam", "enable_organizations_root_sessions")
    assert refused.value.code == "CallerIsNotManagementAccountException"


def test_summary_and_lists_disagreeing_is_never_clean(shared_org, monkeypatch):
    """GetAccountSummary says root has a password, GetLoginProfile finds none: the
    account is not called clean, and the row says why."""
    from wizard import org_sandbox

    def no_profile(response, sb, root):
        raise org_sandbox._error("NoSuchEntity", "Login Profile cannot be found.", 404)

    monkeypatch.setitem(org_sandbox._ROOT_HANDLERS, "GetLoginProfile", no_profile)
    aws = access(shared_org)
    ctx = org.prepare_audit(aws)
    [row] = org.run_audit(aws, ctx, [a for a in org.list_accounts(aws) if a.name == "legacy-crm"], concurrency=1)
    assert row.password_present is False and row.account_summary["AccountPasswordPresent"] == 1
    assert row.verdict == org.CREDENTIALS_PRESENT
    assert "AccountPasswordPresent" in row.describe()
