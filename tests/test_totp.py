import base64
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from wizard.errors import InputError, WizardError
from wizard.totp import (
    SUBMIT_ADVICE,
    AcceptedPair,
    CodeRejected,
    TwoCodeCheck,
    aws_label,
    aws_otpauth_uri,
    group4,
    normalize_code,
    otpauth_uri,
    seconds_left,
    time_step,
    validate_base32_secret,
)

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 SHA-1 key
RFC_VECTORS = [  # (unix time, 8-digit TOTP) from RFC 6238 appendix B, SHA-1
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2026, 3, 1, 12, 0, 10, tzinfo=timezone.utc)  # 10 s into its step


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def code(step: int, seed: str = SEED) -> str:
    return pyotp.TOTP(seed).generate_otp(step)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def check(clock: Clock) -> TwoCodeCheck:
    return TwoCodeCheck(SEED, clock=clock)


def rejected(check: TwoCodeCheck, c1: str, c2: str) -> CodeRejected:
    with pytest.raises(CodeRejected) as info:
        check.check(c1, c2)
    return info.value


# --- RFC 6238 -------------------------------------------------------------------------


@pytest.mark.parametrize(("t", "expected"), RFC_VECTORS)
def test_rfc6238_sha1_vectors(t: int, expected: str) -> None:
    assert pyotp.TOTP(RFC_SEED, digits=8).at(t) == expected
    when = datetime.fromtimestamp(t, timezone.utc)
    step = time_step(when)
    assert step == t // 30
    # Our 6-digit check accepts the RFC code's last 6 digits as code 1.
    pair = TwoCodeCheck(RFC_SEED, clock=lambda: when).check(expected[-6:], code(step + 1, RFC_SEED))
    assert pair == AcceptedPair(step, step + 1)


def test_step_and_seconds_left() -> None:
    assert time_step(T0) == int(T0.timestamp()) // 30
    assert seconds_left(T0) == 20
    assert seconds_left(T0.replace(second=0)) == 30
    assert seconds_left(T0.replace(second=29)) == 1
    # Same instant in another zone: same step.
    assert time_step(T0.astimezone(timezone(timedelta(hours=5)))) == time_step(T0)
    with pytest.raises(TypeError):
        time_step(T0.replace(tzinfo=None))


# --- normalize_code / validate_base32_secret / group4 -----------------------------------


@pytest.mark.parametrize("text", ["123456", " 123 456 ", "123-456", "12 34-56"])
def test_normalize_code_accepts_spaces_and_dashes(text: str) -> None:
    assert normalize_code(text) == "123456"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12345", "a code is 6 digits: got 5"),
        ("1234567", "a code is 6 digits: got 7"),
        ("12345a", "a code has digits only"),
        ("１２３４５６", "a code has digits only"),  # full-width digits are not ASCII
        ("", "enter the 6-digit code from the app"),
        (" - ", "enter the 6-digit code from the app"),
    ],
)
def test_normalize_code_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        normalize_code(text, field="code1")
    assert info.value.message == message
    assert info.value.field == "code1"
    if text.strip():
        assert text not in str(info.value)


def test_validate_secret_canonical_form() -> None:
    assert validate_base32_secret(group4(SEED).lower()) == SEED
    assert validate_base32_secret("jbsw-y3dp-ehpk-3pxp") == "JBSWY3DPEHPK3PXP"
    sixty_four = SEED * 2
    assert validate_base32_secret(sixty_four) == sixty_four  # AWS seeds are 64 characters
    padded = base64.b32encode(b"0123456789abc").decode()  # 21 chars + 3 "="
    assert padded.endswith("===")
    assert validate_base32_secret(padded) == padded.rstrip("=")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("JBSWY3DPEHPK3PX0", "character 16 is not allowed"),
        ("JBSWY3DPEHPK3PX!", "character 16 is not allowed"),
        ("JBSWY3DP=EHPK3PXP", "not allowed"),
        ("JBSWY3DPEHPK3PXPA", "wrong length or padding"),  # 17 chars: impossible length
        ("JBSWY3DPEHPK3PXP==", "wrong length or padding"),  # padding on a full block
        ("JBSWY3DPEHPK3P", "too short: 14 characters, at least 16"),
        ("A" * 136, "too long"),
    ],
)
def test_validate_secret_rejects_without_echo(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        validate_base32_secret(text)
    assert fragment in info.value.message
    assert info.value.field == "secret"
    if text.strip(" -"):
        assert text not in str(info.value)
        assert text.upper().rstrip("=") not in str(info.value)


def test_zero_gets_a_hint() -> None:
    with pytest.raises(InputError) as info:
        validate_base32_secret("JBSWY3DPEHPK3PX0")
    assert "O, I or B" in info.value.hint


def test_group4() -> None:
    assert group4("ABCDEFGHIJ") == "ABCD EFGH IJ"
    assert group4(SEED).replace(" ", "") == SEED
    assert all(len(g) == 4 for g in group4(SEED).split())


# --- otpauth URI ----------------------------------------------------------------------


def test_aws_uri_matches_aws_format() -> None:
    uri = aws_otpauth_uri(SEED.lower(), "admin-mfa", "123456789012")
    assert uri == (
        "otpauth://totp/Amazon%20Web%20Services:admin-mfa@123456789012"
        f"?secret={SEED}&issuer=Amazon%20Web%20Services"
    )
    parts = urlsplit(uri)
    assert unquote(parts.path) == "/" + aws_label("admin-mfa", "123456789012")
    assert parse_qs(parts.query) == {"secret": [SEED], "issuer": ["Amazon Web Services"]}
    parsed = pyotp.parse_uri(uri)
    assert parsed.issuer == "Amazon Web Services"
    assert parsed.name == "admin-mfa@123456789012"
    assert parsed.secret == SEED


def test_uri_percent_encodes_label_and_issuer() -> None:
    uri = otpauth_uri(SEED, "Ünïcode co:me+you@x/y", "A&B=C ?")
    assert " " not in uri and "+" not in uri.split("?")[0]
    assert "/y" not in uri and "%2F" in uri
    assert uri.endswith("&issuer=A%26B%3DC%20%3F")
    assert unquote(urlsplit(uri).path) == "/Ünïcode co:me+you@x/y"


def test_uri_rejects_bad_secret() -> None:
    with pytest.raises(InputError):
        otpauth_uri("not a secret!", "x", "y")


# --- TwoCodeCheck ---------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_accepts_consecutive_pair_within_drift(check: TwoCodeCheck, offset: int) -> None:
    s = time_step(T0) + offset
    assert check.check(code(s), code(s + 1)) == AcceptedPair(s, s + 1)


def test_accepts_spaces_and_dashes(check: TwoCodeCheck) -> None:
    s = time_step(T0)
    c1, c2 = code(s), code(s + 1)
    assert check.check(f"{c1[:3]} {c1[3:]}", f"{c2[:3]}-{c2[3:]}") == AcceptedPair(s, s + 1)


@pytest.mark.parametrize("offset", [-2, 2])
def test_rejects_code1_outside_drift(check: TwoCodeCheck, offset: int) -> None:
    s = time_step(T0) + offset
    err = rejected(check, code(s), code(s + 1))
    assert (err.rule, err.field) == ("no_match", "code1")


def test_rejects_same_code_twice(check: TwoCodeCheck) -> None:
    c = code(time_step(T0))
    err = rejected(check, c, c.replace("", " ").strip())
    assert (err.rule, err.field) == ("same_code", "code2")
    assert str(err).startswith("this is the same code as the first one: wait for the next one")


@pytest.mark.parametrize("offset2", [2, -1])
def test_rejects_code2_not_next_step(check: TwoCodeCheck, offset2: int) -> None:
    s = time_step(T0)
    err = rejected(check, code(s), code(s + offset2))
    assert (err.rule, err.field) == ("not_consecutive", "code2")
    assert err.hint == SUBMIT_ADVICE


def test_rejects_code2_from_nowhere(check: TwoCodeCheck) -> None:
    s = time_step(T0)
    wrong = f"{(int(code(s + 1)) + 1) % 1_000_000:06d}"
    err = rejected(check, code(s), wrong)
    assert (err.rule, err.field) == ("no_match", "code2")


def test_rejects_replay(check: TwoCodeCheck, clock: Clock) -> None:
    s = time_step(T0)
    check.check(code(s), code(s + 1))
    assert rejected(check, code(s), code(s + 1)).rule == "replay"
    clock.advance(30)  # the next pair overlaps the used step s + 1
    err = rejected(check, code(s + 1), code(s + 2))
    assert (err.rule, err.field) == ("replay", "code1")
    assert check.check(code(s + 2), code(s + 3)) == AcceptedPair(s + 2, s + 3)


@pytest.mark.parametrize(
    ("c1", "c2", "field"),
    [("12345", "123456", "code1"), ("123456", "1234567", "code2"), ("12a456", "123456", "code1")],
)
def test_format_errors_name_the_field(check: TwoCodeCheck, c1: str, c2: str, field: str) -> None:
    err = rejected(check, c1, c2)
    assert (err.rule, err.field) == ("format", field)


def test_lockout_after_five_wrong_pairs_and_release(check: TwoCodeCheck, clock: Clock) -> None:
    s = time_step(T0)
    wrong = f"{(int(code(s)) + 1) % 1_000_000:06d}"
    for _ in range(3):  # harmless mistakes never count
        rejected(check, "12345", "123456")
        rejected(check, code(s), code(s))
    for attempt in range(1, 6):
        err = rejected(check, wrong, code(s + 1))
        assert err.rule == "no_match"
        assert err.retry_after == (30 if attempt == 5 else None)
    assert "wait 30 s" in str(err)
    # Locked: even the right pair is refused, and the message counts down.
    err = rejected(check, code(s), code(s + 1))
    assert (err.rule, err.retry_after) == ("locked", 30)
    clock.advance(10.5)
    err = rejected(check, code(s), code(s + 1))
    assert (err.rule, err.retry_after) == ("locked", 20)
    assert "wait 20 s" in str(err)
    clock.advance(19.5)
    s = time_step(clock())
    assert check.check(code(s), code(s + 1)) == AcceptedPair(s, s + 1)


def test_success_resets_failure_count(check: TwoCodeCheck, clock: Clock) -> None:
    s = time_step(T0)
    wrong = f"{(int(code(s)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        rejected(check, wrong, code(s + 1))
    check.check(code(s), code(s + 1))
    clock.advance(60)
    for _ in range(4):
        assert rejected(check, wrong, code(s + 3)).rule == "no_match"


def test_seed_never_in_repr_or_messages(check: TwoCodeCheck) -> None:
    assert SEED not in repr(check) and SEED.lower() not in repr(check).lower()
    s = time_step(T0)
    for c1, c2 in [(code(s + 5), code(s + 6)), (code(s), code(s + 2)), ("1", "2")]:
        err = rejected(check, c1, c2)
        for secret in (SEED, code(s), code(s + 1)):
            assert secret not in str(err) and secret not in repr(err)


def test_wipe_drops_the_seed(check: TwoCodeCheck) -> None:
    check.wipe()
    assert "wiped" in repr(check)
    s = time_step(T0)
    with pytest.raises(WizardError, match="dropped"):
        check.check(code(s), code(s + 1))


def test_bad_seed_rejected_at_construction() -> None:
    with pytest.raises(InputError):
        TwoCodeCheck("short")


def test_check_seconds_left_uses_clock(check: TwoCodeCheck, clock: Clock) -> None:
    assert check.seconds_left() == 20
    clock.advance(15)
    assert check.seconds_left() == 5
