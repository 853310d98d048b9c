"""TOTP for virtual MFA enrolment: RFC 6238 with SHA-1, 6 digits and 30-second steps.

The operator types two consecutive codes from the authenticator app. ``TwoCodeCheck``
verifies them locally before they are sent to AWS, so that a typo, a repeated code or a
code from the wrong step gets a precise message instead of AWS's generic
InvalidAuthenticationCode. Codes are never produced for display: this module only
compares. The seed stays in memory, out of every message and repr.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NoReturn
from urllib.parse import quote

import pyotp

from wizard.errors import InputError, WizardError

STEP_SECONDS = 30
DIGITS = 6
MIN_SECRET_CHARS = 16  # 80 bits, the RFC 4226 minimum
MAX_SECRET_CHARS = 128
AWS_ISSUER = "Amazon Web Services"
MAX_FAILED_PAIRS = 5
PAUSE_SECONDS = 30
SUBMIT_ADVICE = (
    "Enter the code the app shows now, wait for the next one, enter it and submit at once: "
    "AWS warns that codes submitted late leave the device out of sync."
)

_SEPARATORS = re.compile(r"[\s-]+")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Valid lengths (mod 8) of unpadded base32 text, with the padding each one needs.
_PADDING = {0: 0, 2: 6, 4: 4, 5: 3, 7: 1}


def normalize_code(text: str, *, field: str = "code") -> str:
    """Remove spaces and dashes; the rest must be exactly 6 ASCII digits.
    Raises InputError naming the problem; the code itself is never echoed."""
    code = _SEPARATORS.sub("", text)
    if not code:
        raise InputError("enter the 6-digit code from the app", field=field)
    if not (code.isascii() and code.isdigit()):
        raise InputError("a code has digits only", field=field)
    if len(code) != DIGITS:
        raise InputError(f"a code is {DIGITS} digits: got {len(code)}", field=field)
    return code


def validate_base32_secret(text: str) -> str:
    """Return the secret key in canonical form (upper case, no spaces, dashes or padding).

    Accepts what the AWS console shows or what a person retypes from it: any case,
    spaces or dashes between groups, optional trailing ``=`` padding. Raises InputError
    (field "secret") naming the problem, never echoing the secret."""
    raw = _SEPARATORS.sub("", text).upper()
    body = raw.rstrip("=")
    pad = len(raw) - len(body)
    if not body:
        raise InputError("the secret key is empty", field="secret")
    for position, char in enumerate(body, start=1):
        if char not in _BASE32:
            hint = (
                "Base32 has no 0, 1, 8 or 9: did you mean the letter O, I or B?"
                if char in "0189"
                else "Use only the letters A-Z and the digits 2-7."
            )
            raise InputError(
                f"the secret key is not base32: character {position} is not allowed",
                field="secret",
                hint=hint,
            )
    if len(body) < MIN_SECRET_CHARS:
        raise InputError(
            f"the secret key is too short: {len(body)} characters, at least {MIN_SECRET_CHARS}",
            field="secret",
        )
    if len(body) > MAX_SECRET_CHARS:
        raise InputError(
            f"the secret key is too long: {len(body)} characters, at most {MAX_SECRET_CHARS}",
            field="secret",
        )
    if len(body) % 8 not in _PADDING or pad not in (0, _PADDING[len(body) % 8]):
        raise InputError(
            "the secret key has the wrong length or padding: a character may be missing",
            field="secret",
        )
    return body


def group4(secret: str) -> str:
    """The secret in groups of 4 for manual entry: "ABCD EFGH IJKL ..."."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _epoch(now: datetime) -> int:
    if now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("TOTP needs a timezone-aware datetime")
    return int(now.timestamp())


def time_step(now: datetime) -> int:
    """The RFC 6238 time step (counter) that contains ``now``."""
    return _epoch(now) // STEP_SECONDS


def seconds_left(now: datetime) -> int:
    """Seconds until the current step ends (1..30)."""
    return STEP_SECONDS - _epoch(now) % STEP_SECONDS


def aws_label(device_name: str, account: str) -> str:
    """The label AWS puts in its own virtual-MFA QR code.

    AWS's QRCodePNG decodes to
    ``otpauth://totp/Amazon%20Web%20Services:<device>@<account>?secret=...&issuer=Amazon%20Web%20Services``
    where <account> is the account alias when one is set, otherwise the account ID (IAM
    API reference, VirtualMFADevice; confirmed by zbarimg output of real codes). Apps
    then show "Amazon Web Services (<device>@<account>)", the same entry as AWS's code."""
    return f"{AWS_ISSUER}:{device_name}@{account}"


def otpauth_uri(secret: str, label: str, issuer: str = AWS_ISSUER) -> str:
    """``otpauth://totp/LABEL?secret=SEED&issuer=ISSUER`` per the Key Uri Format.

    The label keeps ":" (issuer prefix separator) and "@" literal, as AWS does; everything
    else is percent-encoded, spaces as %20 (never "+", which some apps show literally).
    SHA-1, 6 digits and 30 s are the defaults, so they are not spelled out."""
    seed = validate_base32_secret(secret)
    return f"otpauth://totp/{quote(label, safe=':@')}?secret={seed}&issuer={quote(issuer, safe='')}"


def aws_otpauth_uri(secret: str, device_name: str, account: str) -> str:
    """The otpauth URI for a virtual MFA device, labelled the way AWS labels it."""
    return otpauth_uri(secret, aws_label(device_name, account), AWS_ISSUER)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class AcceptedPair:
    """Two codes that passed the check: code 1 is from ``step1``, code 2 from ``step2``."""

    step1: int
    step2: int


class CodeRejected(InputError):
    """A pair of codes that failed one rule.

    ``rule`` is one of "format", "same_code", "not_consecutive", "replay", "no_match",
    "locked"; ``field`` is "code1" or "code2"; ``retry_after`` is the pause in seconds
    when the check is (or has just become) locked, else None."""

    def __init__(
        self, message: str, *, rule: str, field: str, hint: str = "", retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field, hint=hint)
        self.rule = rule
        self.retry_after = retry_after


class TwoCodeCheck:
    """Checks two consecutive TOTP codes against a seed held in memory.

    Rules: code 1 must match a step s within one step of now (clock drift); code 2 must
    match exactly s + 1; the two codes must differ; no step accepted earlier by this
    instance may be used again (replay). Every comparison is constant time and all
    candidate steps are compared, matched or not. After ``max_failures`` pairs that do
    not match the seed the check pauses for ``pause_seconds``; format errors, a repeated
    code and replays compare nothing new against the seed and do not count.

    ``clock`` returns a timezone-aware datetime (default: UTC now). ``wipe()`` drops the
    seed; Python cannot scrub the string from memory, so keep the instance short-lived."""

    def __init__(
        self,
        seed: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_failures: int = MAX_FAILED_PAIRS,
        pause_seconds: int = PAUSE_SECONDS,
    ) -> None:
        self._totp: pyotp.TOTP | None = pyotp.TOTP(validate_base32_secret(seed), digits=DIGITS)
        self._clock = clock
        self._max_failures = max_failures
        self._pause = pause_seconds
        self._failures = 0
        self._locked_until: datetime | None = None
        self._used: set[int] = set()

    def __repr__(self) -> str:
        state = "wiped" if self._totp is None else "ready"
        return f"TwoCodeCheck({state}, failures={self._failures}, used_steps={len(self._used)})"

    def wipe(self) -> None:
        """Drop the seed; any later check raises WizardError."""
        self._totp = None

    def seconds_left(self) -> int:
        """Seconds left in the current step on this check's clock."""
        return seconds_left(self._clock())

    def check(self, code1: str, code2: str) -> AcceptedPair:
        """Accept the pair or raise CodeRejected naming the rule that failed."""
        if self._totp is None:
            raise WizardError("the MFA secret was dropped: start this step again")
        now = self._clock()
        if self._locked_until is not None and now < self._locked_until:
            wait = math.ceil((self._locked_until - now).total_seconds())
            raise CodeRejected(
                f"too many wrong codes: wait {wait} s before trying again",
                rule="locked", field="code1", retry_after=wait,
            )
        first, second = self._normalize(code1, "code1"), self._normalize(code2, "code2")
        if hmac.compare_digest(first, second):
            raise CodeRejected(
                "this is the same code as the first one: wait for the next one",
                rule="same_code", field="code2",
            )
        step = time_step(now)
        window = range(step - 1, step + 3)  # code 1 may be step-1..step+1, code 2 one later
        codes = {s: self._totp.generate_otp(s) for s in window}
        matches1 = [s for s in window[:-1] if hmac.compare_digest(first, codes[s])]
        matches2 = [s for s in window if hmac.compare_digest(second, codes[s])]
        pair = next((s for s in matches1 if s + 1 in matches2), None)
        if pair is not None:
            if pair in self._used or pair + 1 in self._used:
                raise CodeRejected(
                    "these codes were already used in this session: wait for two new codes",
                    rule="replay", field="code1" if pair in self._used else "code2",
                )
            self._used.update((pair, pair + 1))
            self._failures = 0
            return AcceptedPair(pair, pair + 1)
        if not matches1:
            self._fail(now, "the first code does not match this device", "code1",
                       "Check that the app entry is the one you just added and that the phone's clock is right.")
        if matches2:
            self._fail(now, "the second code is not the one right after the first", "code2",
                       SUBMIT_ADVICE,
                       rule="not_consecutive")
        self._fail(now, "the second code does not match this device", "code2",
                   "Type the code that follows the first one in the same app entry.")

    @staticmethod
    def _normalize(text: str, field: str) -> str:
        try:
            return normalize_code(text, field=field)
        except InputError as err:
            raise CodeRejected(err.message, rule="format", field=field) from None

    def _fail(self, now: datetime, message: str, field: str, hint: str, rule: str = "no_match") -> NoReturn:
        self._failures += 1
        retry_after = None
        if self._failures >= self._max_failures:
            self._failures = 0
            self._locked_until = now + timedelta(seconds=self._pause)
            retry_after = self._pause
            hint = f"{self._max_failures} wrong pairs: wait {self._pause} s before trying again."
        raise CodeRejected(message, rule=rule, field=field, hint=hint, retry_after=retry_after)
