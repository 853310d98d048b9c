"""Property-based: every parser and validator of operator input either accepts or raises
the app's own error type, nothing else."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wizard import credreport, policy, rootchecks, totp
from wizard.errors import InputError, SessionError, WizardError
from wizard.session import parse_session

text = st.text(max_size=300)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.one_of(text, st.binary(max_size=300)))
def test_report_parser(data):
    try:
        credreport.parse_report(data)
    except InputError:
        pass


@FAST
@given(text)
def test_code_and_secret(value):
    for fn in (totp.normalize_code, totp.validate_base32_secret):
        try:
            fn(value)
        except InputError:
            pass


@FAST
@given(st.sampled_from([f.name for f in policy.FIELDS]), text)
def test_policy_field(name, value):
    try:
        policy.validate_field(name, value)
    except InputError as exc:
        assert exc.field == name


@FAST
@given(text, text, text, text)
def test_alternate_contact(name, title, email, phone):
    try:
        rootchecks.validate_alternate_contact(name, title, email, phone)
    except InputError:
        pass


@FAST
@given(text)
def test_notes_reasons_and_root_password(value):
    for fn in (rootchecks.validate_note, rootchecks.validate_reason):
        try:
            fn(value)
        except InputError:
            pass
    result = rootchecks.check_root_password(value, account_name="acme", email="root@example.com")
    assert isinstance(result.ok, bool)


@FAST
@given(st.binary(max_size=300))
def test_session_parser(raw):
    try:
        parse_session(raw, expected_account="123456789012")
    except SessionError:
        pass
    assert issubclass(SessionError, WizardError)
