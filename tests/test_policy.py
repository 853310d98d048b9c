import dataclasses
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from wizard.errors import InputError
from wizard.policy import (
    BASELINE,
    FIELD,
    FIELDS,
    Policy,
    PolicyFormError,
    cis_compliance,
    diff,
    parse_form,
    propose,
    readback_mismatches,
    validate_field,
    weakened_fields,
)

WEAK_API = {
    "MinimumPasswordLength": 8,
    "RequireSymbols": False,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": False,
    "HardExpiry": False,
}


def form(policy: Policy) -> dict[str, str | bool]:
    return {k: v if isinstance(v, bool) else str(v) for k, v in policy.as_dict().items()}


@pytest.fixture
def iam():
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def test_fields_match_policy_attributes_and_api_defaults():
    assert [f.name for f in dataclasses.fields(Policy)] == [s.attr for s in FIELDS]
    assert Policy().as_dict() == {s.name: s.default for s in FIELDS}


def test_no_policy_proposes_the_baseline_without_expiry():
    assert Policy.from_api(None) is None
    proposed = propose(None)
    assert proposed == BASELINE
    assert proposed.max_password_age == 0 and not proposed.hard_expiry
    assert weakened_fields(None, proposed) == []
    assert {row.change for row in diff(None, proposed)} == {"new"}
    assert [ok for _, ok in cis_compliance(None)] == [False, False]
    assert [ok for _, ok in cis_compliance(proposed)] == [True, True]


def test_weaker_policy_is_raised_to_the_baseline():
    current = Policy.from_api({"PasswordPolicy": WEAK_API})
    proposed = propose(current, max_password_age=90)
    assert proposed == dataclasses.replace(BASELINE, max_password_age=90)
    assert weakened_fields(current, proposed) == []
    changes = {row.field: row.change for row in diff(current, proposed)}
    assert changes["MinimumPasswordLength"] == "stricter"
    assert changes["RequireNumbers"] == "same"
    assert changes["MaxPasswordAge"] == "stricter"


def test_stricter_fields_of_the_current_policy_are_kept():
    current = Policy.from_api(
        {"MinimumPasswordLength": 32, "MaxPasswordAge": 30, "HardExpiry": True, "PasswordReusePrevention": 24}
    )
    proposed = propose(current)
    assert proposed.minimum_password_length == 32
    assert proposed.max_password_age == 30
    assert proposed.hard_expiry is True
    assert proposed.require_symbols is True
    assert weakened_fields(current, proposed) == []


def test_explicit_expiry_choice_can_weaken_and_is_flagged():
    current = Policy.from_api({"MinimumPasswordLength": 14, "MaxPasswordAge": 30})
    assert weakened_fields(current, propose(current, max_password_age=0)) == ["MaxPasswordAge"]
    assert weakened_fields(current, propose(current, max_password_age=365)) == ["MaxPasswordAge"]
    assert weakened_fields(current, propose(current, max_password_age=7)) == []
    with pytest.raises(InputError) as err:
        propose(current, max_password_age=1096)
    assert err.value.field == "MaxPasswordAge"


def test_weakening_detection_per_field():
    current = dataclasses.replace(BASELINE, max_password_age=90, hard_expiry=True)
    edited = dataclasses.replace(
        current, minimum_password_length=12, hard_expiry=False, require_symbols=False,
        password_reuse_prevention=0, allow_users_to_change_password=False,
    )
    expected = ["MinimumPasswordLength", "RequireSymbols", "PasswordReusePrevention",
                "HardExpiry", "AllowUsersToChangePassword"]
    assert weakened_fields(current, edited) == expected
    rows = {row.field: row for row in diff(current, edited)}
    assert [f for f, row in rows.items() if row.change == "weaker"] == expected
    assert rows["PasswordReusePrevention"].proposed_display == "no reuse prevention"
    assert rows["MaxPasswordAge"].current_display == "90 days"
    assert rows["MinimumPasswordLength"].proposed_display == "12 characters"


def test_without_a_policy_weaker_than_aws_default_is_flagged():
    proposed = Policy(minimum_password_length=6, require_symbols=True, require_numbers=True)
    assert weakened_fields(None, proposed) == [
        "MinimumPasswordLength", "RequireUppercaseCharacters", "RequireLowercaseCharacters",
    ]
    three_types = Policy(minimum_password_length=8, require_symbols=True, require_numbers=True,
                         require_uppercase_characters=True)
    assert weakened_fields(None, three_types) == []
    assert diff(None, proposed)[0].change == "weaker"


def test_displays():
    assert FIELD["MaxPasswordAge"].display(1) == "1 day"
    assert FIELD["MaxPasswordAge"].display(0) == "never expires"
    assert FIELD["PasswordReusePrevention"].display(24) == "remember last 24"
    assert FIELD["RequireSymbols"].display(True) == "yes"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("MinimumPasswordLength", "5"),
        ("MinimumPasswordLength", "129"),
        ("MinimumPasswordLength", "0"),
        ("PasswordReusePrevention", "25"),
        ("MaxPasswordAge", "1096"),
        ("MinimumPasswordLength", "abc"),
        ("MinimumPasswordLength", ""),
        ("MinimumPasswordLength", "   "),
        ("MinimumPasswordLength", "١٤"),
        ("MinimumPasswordLength", "1_4"),
        ("MinimumPasswordLength", "-14"),
        ("MinimumPasswordLength", "14.0"),
        ("MinimumPasswordLength", "1" + "0" * 5000),
        ("MinimumPasswordLength", True),
        ("RequireSymbols", "maybe"),
        ("RequireSymbols", 1),
        ("NoSuchField", "1"),
    ],
)
def test_bad_input_raises_input_error_for_that_field(name, raw):
    with pytest.raises(InputError) as err:
        validate_field(name, raw)
    assert err.value.field == name


def test_good_input():
    assert validate_field("MinimumPasswordLength", " 014 ") == 14
    assert validate_field("MinimumPasswordLength", "128") == 128
    assert validate_field("PasswordReusePrevention", "0") == 0  # off: sent by omission
    assert validate_field("MaxPasswordAge", "1095") == 1095
    assert validate_field("HardExpiry", "No") is False
    assert validate_field("RequireSymbols", True) is True


@given(st.sampled_from(FIELDS), st.one_of(st.text(), st.integers(), st.booleans()))
def test_validate_field_returns_a_valid_value_or_raises_input_error(spec, raw):
    try:
        value = validate_field(spec.name, raw)
    except InputError as err:
        assert err.field == spec.name
        return
    assert type(value) is spec.kind
    if spec.kind is int:
        assert spec.low <= value <= spec.high or (spec.off_by_omission and value == 0)


def test_parse_form_collects_every_error():
    values = form(BASELINE) | {"MinimumPasswordLength": "5", "MaxPasswordAge": "x", "Bogus": "1"}
    del values["HardExpiry"]
    with pytest.raises(PolicyFormError) as err:
        parse_form(values)
    assert set(err.value.errors) == {"MinimumPasswordLength", "MaxPasswordAge", "HardExpiry", "Bogus"}
    assert err.value.field == "MinimumPasswordLength"
    assert isinstance(err.value, InputError)


def test_parse_form_round_trips_a_policy():
    policy = dataclasses.replace(BASELINE, max_password_age=90, hard_expiry=True)
    assert parse_form(form(policy)) == policy


def test_policy_rejects_invalid_values():
    with pytest.raises(InputError) as err:
        Policy(minimum_password_length=200)
    assert err.value.field == "MinimumPasswordLength"
    with pytest.raises(InputError):
        Policy.from_api({"MinimumPasswordLength": "14"})


def test_to_api_params_sends_every_field_but_zero_offs():
    params = BASELINE.to_api_params()
    assert set(params) == {s.name for s in FIELDS} - {"MaxPasswordAge"}
    full = dataclasses.replace(BASELINE, max_password_age=90)
    assert set(full.to_api_params()) == {s.name for s in FIELDS}


def test_readback_mismatches_reports_differences():
    expected = dataclasses.replace(BASELINE, max_password_age=90)
    actual = expected.as_dict() | {"MinimumPasswordLength": 8, "ExpirePasswords": True}
    del actual["PasswordReusePrevention"]
    assert readback_mismatches(expected, {"PasswordPolicy": actual}) == [
        "MinimumPasswordLength", "PasswordReusePrevention",
    ]
    assert readback_mismatches(expected, None) == [s.name for s in FIELDS]
    assert readback_mismatches(Policy(hard_expiry=False), {"HardExpiry": 0}) == ["HardExpiry"]


@pytest.mark.parametrize("age", [0, 1, 90, 1095])
def test_round_trip_through_moto(iam, age):
    with pytest.raises(ClientError) as err:
        iam.get_account_password_policy()
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"

    iam.update_account_password_policy(**WEAK_API | {"MaxPasswordAge": 30, "PasswordReusePrevention": 5})
    before = Policy.from_api(iam.get_account_password_policy())
    proposed = propose(before, max_password_age=age)
    iam.update_account_password_policy(**proposed.to_api_params())
    after = iam.get_account_password_policy()
    assert readback_mismatches(proposed, after) == []
    assert Policy.from_api(after) == proposed
    assert after["PasswordPolicy"]["ExpirePasswords"] is (age > 0)


def test_omitting_off_fields_clears_them_in_moto(iam):
    iam.update_account_password_policy(MinimumPasswordLength=14, MaxPasswordAge=30, PasswordReusePrevention=5)
    iam.update_account_password_policy(**Policy(minimum_password_length=14).to_api_params())
    assert readback_mismatches(Policy(minimum_password_length=14), iam.get_account_password_policy()) == []


def test_domain_module_does_not_import_textual():
    code = "import sys, wizard.policy; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
