"""The password policy flow (read, apply, read back) and `rootwizard password-policy`,
against the moto server. AccessDenied comes from moto's own IAM policy enforcement."""

import dataclasses
import io
import json

import boto3
import pytest

from wizard.aws import AwsAccess, ConnectionSettings
from wizard.checklist import StepRecord
from wizard.cli import main
from wizard.errors import AccessDeniedError, InputError, WizardError
from wizard.policy import (
    BASELINE,
    NO_POLICY_TEXT,
    Policy,
    ReadBackMismatch,
    apply_policy,
    cis_failing,
    propose,
    read_policy,
)
from wizard.verify import password_policy as verify_password_policy

WEAK = {"MinimumPasswordLength": 8, "RequireNumbers": True, "MaxPasswordAge": 90,
        "AllowUsersToChangePassword": True}
# Stricter than the baseline in length, expiry and hard expiry; weaker in symbols.
STRICT = {"MinimumPasswordLength": 20, "MaxPasswordAge": 60, "HardExpiry": True,
          "PasswordReusePrevention": 24, "RequireUppercaseCharacters": True}


def iam(endpoint, **keys):
    keys = keys or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **keys)


def seed(endpoint, **params):
    iam(endpoint).update_account_password_policy(**params)


def policy_in_aws(client):
    try:
        return client.get_account_password_policy()["PasswordPolicy"]
    except client.exceptions.NoSuchEntityException:
        return None


@pytest.fixture
def aws(moto_endpoint):
    return AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=1))


@pytest.fixture
def denied_operator(moto_endpoint, monkeypatch):
    """An IAM user allowed everything except iam:UpdateAccountPasswordPolicy, with moto's
    IAM enforcement on. Its keys are in the environment; returns an iam client as it."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    admin = iam(moto_endpoint)
    admin.create_user(UserName="operator")
    admin.put_user_policy(UserName="operator", PolicyName="no-password-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "iam:UpdateAccountPasswordPolicy", "Resource": "*"}]}))
    key = admin.create_access_key(UserName="operator")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return iam(moto_endpoint, aws_access_key_id=key["AccessKeyId"],
               aws_secret_access_key=key["SecretAccessKey"])


@pytest.fixture
def drops_reuse_prevention(monkeypatch):
    """moto stores every update without PasswordReusePrevention: a read-back mismatch."""
    from moto.iam.models import IAMBackend

    original = IAMBackend.update_account_password_policy

    def update(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.account_password_policy.password_reuse_prevention = None

    monkeypatch.setattr(IAMBackend, "update_account_password_policy", update)


# -- flow --------------------------------------------------------------------------------------

def test_apply_without_policy_sets_baseline_and_verifies(aws, moto_endpoint):
    assert read_policy(aws) is None
    evidence = apply_policy(aws, propose(None), None)
    assert evidence["before"] is None
    assert evidence["after"] == BASELINE.as_dict()
    assert evidence["read_back_matches"] is True
    assert Policy.from_api(policy_in_aws(iam(moto_endpoint))) == BASELINE
    aws.calls.clear()
    ok, _ = verify_password_policy(aws, StepRecord("password_policy", evidence=evidence))
    assert ok and aws.calls == ["iam:GetAccountPasswordPolicy"]


def test_apply_sends_every_field_replacing_the_old_policy(aws, moto_endpoint):
    seed(moto_endpoint, **WEAK)
    current = read_policy(aws)
    proposed = propose(current)
    evidence = apply_policy(aws, proposed, current)
    assert evidence["before"]["MinimumPasswordLength"] == 8
    assert evidence["before"]["MaxPasswordAge"] == 90
    after = policy_in_aws(iam(moto_endpoint))
    assert after["MinimumPasswordLength"] == 14 and after["PasswordReusePrevention"] == 24
    assert after["RequireSymbols"] and after["MaxPasswordAge"] == 90  # current expiry kept


def test_stricter_fields_are_kept(aws, moto_endpoint):
    seed(moto_endpoint, **STRICT)
    proposed = propose(read_policy(aws))
    assert proposed.minimum_password_length == 20
    assert proposed.max_password_age == 60 and proposed.hard_expiry is True
    assert proposed.require_symbols is True  # baseline where current is weaker


def test_unconfirmed_weakening_is_refused_and_nothing_changes(aws, moto_endpoint):
    seed(moto_endpoint, **STRICT)
    current = read_policy(aws)
    looser = propose(current, max_password_age=0)
    with pytest.raises(InputError) as exc:
        apply_policy(aws, looser, current)
    assert exc.value.field == "MaxPasswordAge" and "Password expiry" in exc.value.message
    assert "iam:UpdateAccountPasswordPolicy" not in aws.calls
    assert policy_in_aws(iam(moto_endpoint))["MaxPasswordAge"] == 60

    evidence = apply_policy(aws, looser, current, {"MaxPasswordAge"})
    assert evidence["weakened_confirmed"] == ["MaxPasswordAge"]
    assert policy_in_aws(iam(moto_endpoint)).get("MaxPasswordAge", 0) == 0


def test_policy_changed_since_read_is_not_overwritten(aws, moto_endpoint):
    current = read_policy(aws)
    seed(moto_endpoint, MinimumPasswordLength=30)  # another administrator, meanwhile
    with pytest.raises(WizardError, match="changed since it was read"):
        apply_policy(aws, propose(current), current)
    assert policy_in_aws(iam(moto_endpoint))["MinimumPasswordLength"] == 30


def test_access_denied_names_the_action_and_changes_nothing(denied_operator, moto_endpoint):
    aws = AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=1))
    with pytest.raises(AccessDeniedError) as exc:
        apply_policy(aws, propose(None), None)
    assert exc.value.action == "iam:UpdateAccountPasswordPolicy"
    assert "iam:UpdateAccountPasswordPolicy" in str(exc.value)
    assert policy_in_aws(denied_operator) is None


def test_read_back_mismatch_is_reported_with_fields(aws, drops_reuse_prevention):
    with pytest.raises(ReadBackMismatch) as exc:
        apply_policy(aws, propose(None), None)
    assert exc.value.fields == ["PasswordReusePrevention"]
    assert "Prevent password reuse" in str(exc.value)
    assert exc.value.evidence["read_back_matches"] is False
    assert exc.value.evidence["after"]["PasswordReusePrevention"] == 0


# -- command line ------------------------------------------------------------------------------

class Tty(io.StringIO):
    def isatty(self):
        return True


def run(capsys, tmp_path, *args):
    code = main(["password-policy", "--state-dir", str(tmp_path / "state"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_show_without_policy(capsys, tmp_path, moto_endpoint):
    code, out, _ = run(capsys, tmp_path)
    assert code == 0
    assert NO_POLICY_TEXT in out and "never applies to the root user" in out
    assert "Minimum password length" in out and "14 characters" in out
    assert "[ok] CIS 1.7" in out and "NIST SP 800-63B" in out
    assert policy_in_aws(iam(moto_endpoint)) is None


def test_cli_json_weaker_policy(capsys, tmp_path, moto_endpoint):
    seed(moto_endpoint, **WEAK)
    code, out, _ = run(capsys, tmp_path, "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["current"]["MinimumPasswordLength"] == 8
    assert doc["proposed"]["MinimumPasswordLength"] == 14 and doc["proposed"]["MaxPasswordAge"] == 90
    assert doc["weakened"] == [] and doc["applied"] is False and doc["read_back_matches"] is None
    rows = {row["field"]: row["change"] for row in doc["diff"]}
    assert rows["MinimumPasswordLength"] == "stricter" and rows["MaxPasswordAge"] == "same"


def test_cli_apply_yes_json(capsys, tmp_path, moto_endpoint):
    seed(moto_endpoint, **WEAK)
    code, out, err = run(capsys, tmp_path, "--apply", "--yes", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["applied"] is True and doc["read_back_matches"] is True
    assert "matches every field" in err
    assert policy_in_aws(iam(moto_endpoint))["PasswordReusePrevention"] == 24


def test_cli_apply_without_terminal_refuses(capsys, tmp_path, moto_endpoint, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, _, err = run(capsys, tmp_path, "--apply")
    assert code == 1 and "no terminal" in err and "--yes" in err
    assert policy_in_aws(iam(moto_endpoint)) is None


@pytest.mark.parametrize("answer, code", [("n\n", 1), ("\n", 1), ("y\n", 0)])
def test_cli_apply_asks_on_the_terminal(capsys, tmp_path, moto_endpoint, monkeypatch, answer, code):
    monkeypatch.setattr("sys.stdin", Tty(answer))
    got, out, err = run(capsys, tmp_path, "--apply")
    assert got == code and "Apply this policy? [y/N]" in err
    assert (policy_in_aws(iam(moto_endpoint)) is not None) == (code == 0)
    assert ("Not applied." in err) == (code == 1)


def test_cli_out_of_range_expiry(capsys, tmp_path, moto_endpoint):
    code, out, err = run(capsys, tmp_path, "--apply", "--yes", "--max-password-age", "1096")
    assert code == 2 and "between 1 and 1095" in err and out == ""
    assert policy_in_aws(iam(moto_endpoint)) is None


def test_cli_explicit_looser_expiry_is_marked_and_applied(capsys, tmp_path, moto_endpoint):
    seed(moto_endpoint, **STRICT)
    code, out, _ = run(capsys, tmp_path, "--apply", "--yes", "--max-password-age", "180")
    assert code == 0
    assert "WEAKER than the current policy: Password expiry" in out
    after = policy_in_aws(iam(moto_endpoint))
    assert after["MaxPasswordAge"] == 180 and after["MinimumPasswordLength"] == 20


def test_cli_access_denied(capsys, tmp_path, denied_operator):
    code, _, err = run(capsys, tmp_path, "--apply", "--yes")
    assert code == 2 and "iam:UpdateAccountPasswordPolicy" in err
    assert policy_in_aws(denied_operator) is None


def test_cli_read_back_mismatch(capsys, tmp_path, moto_endpoint, drops_reuse_prevention):
    code, out, err = run(capsys, tmp_path, "--apply", "--yes", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["applied"] is True and doc["read_back_matches"] is False
    assert "differs" in err and "Prevent password reuse" in err


def test_cli_json_asks_after_showing_the_review_on_stderr(capsys, tmp_path, moto_endpoint, monkeypatch):
    monkeypatch.setattr("sys.stdin", Tty("yes\n"))
    code, out, err = run(capsys, tmp_path, "--apply", "--json")
    assert code == 0 and json.loads(out)["read_back_matches"] is True
    assert err.index("Minimum password length") < err.index("Apply this policy?")


# -- below the CIS baseline (issue 15, item 1) ---------------------------------------------------

SHORT = dataclasses.replace(BASELINE, minimum_password_length=8)


def test_below_cis_is_refused_unless_confirmed_and_recorded(aws, moto_endpoint):
    failing = cis_failing(SHORT)
    assert len(failing) == 1 and "minimum password length of at least 14" in failing[0]
    with pytest.raises(InputError) as exc:
        apply_policy(aws, SHORT, None)
    assert "Below the CIS baseline" in exc.value.message and failing[0] in exc.value.message
    assert "iam:UpdateAccountPasswordPolicy" not in aws.calls
    assert policy_in_aws(iam(moto_endpoint)) is None

    evidence = apply_policy(aws, SHORT, None, confirmed_below_cis=failing)
    assert evidence["cis_failing"] == failing
    assert policy_in_aws(iam(moto_endpoint))["MinimumPasswordLength"] == 8
    assert apply_policy(aws, BASELINE, SHORT)["cis_failing"] == []


def test_before_is_the_first_read_and_applies_are_kept_in_order(aws, moto_endpoint):
    seed(moto_endpoint, MinimumPasswordLength=8, RequireNumbers=True)
    original = read_policy(aws)
    rec = StepRecord("password_policy")
    first = apply_policy(aws, SHORT, original, confirmed_below_cis=cis_failing(SHORT), previous=rec)
    rec.evidence, rec.changed_at = first, "2026-11-30T10:00:00+00:00"
    second = apply_policy(aws, BASELINE, read_policy(aws), previous=rec)
    assert first["before"] == second["before"] == original.as_dict()
    assert [a["policy"]["MinimumPasswordLength"] for a in second["applies"]] == [8, 14]
    assert all(a["at"] for a in second["applies"])
    assert second["after"] == BASELINE.as_dict() and second["cis_failing"] == []


def test_evidence_of_an_earlier_version_keeps_its_before_and_apply(aws, moto_endpoint):
    seed(moto_endpoint, **WEAK)
    old = {"before": {"MinimumPasswordLength": 8}, "after": {"MinimumPasswordLength": 12},
           "read_back_matches": True}
    rec = StepRecord("password_policy", evidence=old, changed_at="2026-11-29T09:00:00+00:00")
    evidence = apply_policy(aws, propose(read_policy(aws)), read_policy(aws), previous=rec)
    assert evidence["before"] == {"MinimumPasswordLength": 8}
    assert evidence["applies"][0] == {"at": "2026-11-29T09:00:00+00:00",
                                      "policy": {"MinimumPasswordLength": 12}}
    assert len(evidence["applies"]) == 2


@pytest.fixture
def proposes_short(monkeypatch):
    """The command line proposes at least the baseline; make it propose a short policy."""
    monkeypatch.setattr("wizard.policy_cli.propose", lambda current, age=None: SHORT)


def test_cli_below_cis_is_named_asked_and_reported(capsys, tmp_path, moto_endpoint, monkeypatch,
                                                    proposes_short):
    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    code, out, err = run(capsys, tmp_path, "--apply")
    assert code == 1 and "BELOW the CIS baseline" in out and "at least 14" in out
    assert policy_in_aws(iam(moto_endpoint)) is None

    code, out, err = run(capsys, tmp_path, "--apply", "--yes", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["applied"] is True
    assert len(doc["cis_failing"]) == 1 and "at least 14" in doc["cis_failing"][0]
    assert "below the CIS baseline" in err
    assert policy_in_aws(iam(moto_endpoint))["MinimumPasswordLength"] == 8
