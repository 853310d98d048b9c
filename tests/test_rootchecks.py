import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.errors import InputError
from wizard.rootchecks import (
    CONTACT_TYPES,
    ROOT_ONLY_TASKS,
    ROOT_STEPS,
    ContactFormError,
    check_root_password,
    validate_alternate_contact,
    validate_note,
    validate_reason,
)

GOOD_CONTACT = ("Security Team", "Security", "security@example.com", "+1 206 555 0100")
AWS_EMAIL = re.compile(r"[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*")
AWS_PHONE = re.compile(r"[\s0-9()+-]+")


def all_text(result) -> str:
    return repr(result) + "".join(result.problems) + "".join(result.advice)


# --- root password -----------------------------------------------------------------


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (128, True), (129, False)])
def test_password_length_boundaries(length, ok):
    password = ("Kq7#" * 40)[:length]
    result = check_root_password(password)
    assert result.ok is ok
    assert any("8 to 128" in p for p in result.problems) is not ok


def test_three_character_types_are_needed():
    assert not check_root_password("kqzvmtrw8642").ok
    result = check_root_password("kqzvmtrw8642")
    assert result.classes == 2
    assert "symbols" in result.problems[0] and "upper-case" in result.problems[0]
    result = check_root_password("kqzvmtrw8642#")
    assert result.ok and result.classes == 3
    assert check_root_password("Kqzvmtrw8642#").classes == 4


def test_unlisted_symbols_do_not_count():
    result = check_root_password("kqzvmtrw8642.?~ '")
    assert result.classes == 2 and not result.ok
    assert any("not counted" in a for a in result.advice)
    assert not any("not counted" in a for a in check_root_password("kqzvmtrw8642#").advice)


def test_password_must_not_equal_account_name_or_email():
    email = "Owner.Team@Example.com"
    result = check_root_password("owner.team@example.COM", account_name="x", email=email)
    assert not result.ok and any("email" in p for p in result.problems)
    result = check_root_password("Prod-Acct#1", account_name="Prod-Acct#1")
    assert not result.ok and any("account name" in p for p in result.problems)
    assert check_root_password("prod-acct#1X", account_name="Prod-Acct#1").ok


def test_control_characters_are_a_problem():
    assert not check_root_password("Kq7#vmtrw\n").ok


@pytest.mark.parametrize(
    ("password", "phrase"),
    [
        ("P@ssw0rd123!", "common password"),
        ("Summer2024!", "common password"),
        ("Xk#9myawsZ2", '"aws"'),
        ("Xk#9zzzqvT2", "repeating"),
        ("Xk#9abcdqT2", "sequences"),
        ("Xk#9qwertT2", "sequences"),
        ("Xk#9acmecorpT2", "account name"),
    ],
)
def test_advice_for_guessable_passwords(password, phrase):
    result = check_root_password(password, account_name="AcmeCorp", email="ops@acme.example")
    assert result.ok
    assert any(phrase in a for a in result.advice)


def test_strong_password_gets_no_advice():
    result = check_root_password("r7#Vq9!mZx2@Lp4$wK", account_name="AcmeCorp", email="ops@acme.example")
    assert result.ok and result.advice == () and result.problems == ()


@given(st.text(max_size=140), st.sampled_from(["", "Acct", None]), st.sampled_from(["", "a@b.example", None]))
def test_password_never_appears_in_the_result(text, account_name, email):
    password = "Zj§" + text
    result = check_root_password(password, account_name=account_name, email=email)
    assert "Zj§" not in all_text(result)
    assert isinstance(result.classes, int) and 0 <= result.classes <= 4
    assert result.ok is (not result.problems)


# --- alternate contacts --------------------------------------------------------------


def test_valid_contact_is_stripped_and_typed():
    params = validate_alternate_contact(*(f"  {v}  " for v in GOOD_CONTACT), contact_type="SECURITY")
    assert params == {
        "Name": "Security Team",
        "Title": "Security",
        "EmailAddress": "security@example.com",
        "PhoneNumber": "+1 206 555 0100",
        "AlternateContactType": "SECURITY",
    }
    assert CONTACT_TYPES[0] == "SECURITY" and set(CONTACT_TYPES) == {"SECURITY", "OPERATIONS", "BILLING"}


def test_unicode_names_are_allowed():
    assert validate_alternate_contact("Zoë Ångström", "Sécurité", *GOOD_CONTACT[2:])["Name"] == "Zoë Ångström"


@pytest.mark.parametrize(
    ("index", "field", "value"),
    [
        (0, "name", ""),
        (0, "name", "   "),
        (0, "name", "x" * 65),
        (0, "name", "Eve\nMallory"),
        (0, "name", "Eve\u202eyrollaM"),
        (1, "title", ""),
        (1, "title", "t" * 51),
        (1, "title", "CISO\x00"),
        (2, "email", ""),
        (2, "email", "a" * 250 + "@x.io"),
        (2, "email", "no-at-sign.example.com"),
        (2, "email", "a@b"),
        (2, "email", "a..b@example.com"),
        (2, "email", ".a@example.com"),
        (2, "email", "a@-example.com"),
        (2, "email", "a b@example.com"),
        (2, "email", "zoë@example.com"),
        (2, "email", "a@exa\tmple.com"),
        (3, "phone", ""),
        (3, "phone", "1" * 26),
        (3, "phone", "call me"),
        (3, "phone", "+1 206 ext 5"),
        (3, "phone", "(-)+"),
        (3, "phone", "123"),
        (3, "phone", "1-2+3 456"),
        (3, "phone", "１２０６５５５０１００"),
    ],
)
def test_bad_contact_field(index, field, value):
    args = list(GOOD_CONTACT)
    args[index] = value
    with pytest.raises(ContactFormError) as err:
        validate_alternate_contact(*args)
    assert set(err.value.errors) == {field}
    assert err.value.field == field
    assert isinstance(err.value, InputError)


def test_all_contact_errors_are_collected():
    with pytest.raises(ContactFormError) as err:
        validate_alternate_contact("", "", "bad", "x", contact_type="ROOT")
    assert list(err.value.errors) == ["name", "title", "email", "phone", "type"]


@given(st.text(max_size=300), st.text(max_size=300))
def test_contact_validation_returns_aws_valid_values_or_raises(email, phone):
    try:
        params = validate_alternate_contact("Ops", "Ops", email, phone)
    except ContactFormError as err:
        assert set(err.errors) <= {"email", "phone"}
        return
    assert AWS_EMAIL.fullmatch(params["EmailAddress"]) and 1 <= len(params["EmailAddress"]) <= 254
    assert AWS_PHONE.fullmatch(params["PhoneNumber"]) and 1 <= len(params["PhoneNumber"]) <= 25


@given(st.text(max_size=80), st.text(max_size=80))
def test_contact_names_fuzz(name, title):
    try:
        params = validate_alternate_contact(name, title, *GOOD_CONTACT[2:])
    except ContactFormError as err:
        assert set(err.errors) <= {"name", "title"}
        return
    assert 1 <= len(params["Name"]) <= 64 and 1 <= len(params["Title"]) <= 50


# --- notes ---------------------------------------------------------------------------


def test_notes_and_reasons():
    assert validate_note("  checked with finance  ") == "checked with finance"
    assert validate_note("   ") == ""
    assert validate_note("x" * 500) == "x" * 500
    with pytest.raises(InputError) as err:
        validate_note("x" * 501)
    assert err.value.field == "note"
    with pytest.raises(InputError):
        validate_note("line one\nline two")
    with pytest.raises(InputError) as err:
        validate_reason("  ")
    assert err.value.field == "reason"
    assert validate_reason(" managed by the org ") == "managed by the org"


@given(st.text(max_size=600), st.integers(min_value=0, max_value=600))
def test_note_fuzz(text, max_len):
    try:
        note = validate_note(text, max_len)
    except InputError as err:
        assert err.field == "note"
        return
    assert len(note) <= max_len and note == note.strip()


# --- guidance content ----------------------------------------------------------------


def test_root_steps_content():
    assert set(ROOT_STEPS) == {
        "root_mfa", "root_access_keys", "root_password", "alternate_contacts",
        "contact_info", "security_questions", "root_usage",
    }
    for step_id, step in ROOT_STEPS.items():
        assert step.id == step_id
        assert step.link.startswith("https://")
        assert 1 <= step.why.count(". ") + 1 <= 3
        assert step.actions and step.verified_by in ("api", "operator")
        assert bool(step.verify_api) is (step.verified_by == "api")
    assert ROOT_STEPS["security_questions"].retired
    assert [s.id for s in ROOT_STEPS.values() if s.retired] == ["security_questions"]
    assert "35 days" in ROOT_STEPS["root_mfa"].why
    assert "ends its session" in " ".join(ROOT_STEPS["root_access_keys"].actions)
    assert ROOT_STEPS["root_mfa"].cis.startswith("CIS 1.4 (v5) / 2.5 (v7)")


def test_root_only_tasks():
    texts = " ".join(task.text for task in ROOT_ONLY_TASKS)
    for phrase in ("Close the AWS account", "MFA delete", "GovCloud", "Reserved Instance"):
        assert phrase in texts
    by_text = {task.text: task.assume_root for task in ROOT_ONLY_TASKS}
    assert by_text["Close the AWS account"] is False
    assert all(by_text[t] for t in by_text if t.endswith("policy that denies all principals"))
    assert sum(t.endswith("denies all principals") for t in by_text) == 2


def test_domain_module_does_not_import_textual():
    code = "import sys, wizard.rootchecks; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
