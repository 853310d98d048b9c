"""``rootwizard mfa enroll --user NAME [--device-name NAME]``: the wizard.mfa flow on a
plain terminal (the QR code in ANSI, codes typed at prompts), for machines without the TUI."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import Any

from wizard.aws import AwsAccess
from wizard.errors import AlreadyExistsError, AwsError, InputError, WizardError
from wizard.mfa import (
    Enrollment,
    cancel,
    complete,
    free_device_name,
    rejection_text,
    start_enrollment,
    validate_device_name,
    validate_user_name,
)
from wizard.terminal import CLEARED_NOTE, private_screen
from wizard.text import visible
from wizard.totp import SUBMIT_ADVICE, CodeRejected

# The code check pauses after MAX_FAILED_PAIRS wrong pairs; the CLI stops there, and after
# this many prompts of any kind.
MAX_PROMPTS = 10


def _ask_yes(prompt: str, read: Callable[[str], str], *, default: bool = False) -> bool:
    answer = read(prompt).strip().lower()
    return default if not answer else answer in ("y", "yes")


def _print_qr(enrollment: Enrollment) -> None:
    from wizard.qr import TooSmall, ansi_lines, layout, qr_matrix

    matrix = qr_matrix(enrollment.uri)
    size = shutil.get_terminal_size((80, 24))
    fit = layout(matrix, size.columns, max(size.lines - 2, 1))
    if isinstance(fit, TooSmall):
        print(fit.message)
        return
    for line in ansi_lines(matrix, fit.quiet):
        print(line)


class _Stop(Exception):
    """Ends the enrolment: ``why`` is said, and the device deleted, once the screen is back."""

    def __init__(self, why: str, code: int) -> None:
        super().__init__(why)
        self.why, self.code = why, code


def _pair_codes(aws: AwsAccess, enrollment: Enrollment) -> dict[str, Any]:
    """On the private screen: the QR code, the secret on request, two codes (retried)."""
    print(f"Virtual MFA device {visible(enrollment.serial)}. Add it to the authenticator app: scan this QR "
          f"code (label {enrollment.device_name}@{enrollment.label_account}).")
    _print_qr(enrollment)
    if _ask_yes("Show the secret as text? [y/N] ", input):
        print(f"Secret key: {enrollment.secret_text()}")
    print(SUBMIT_ADVICE)
    prompts = 0
    while True:
        prompts += 1
        print(f"Seconds left in this 30-second step: {enrollment.check.seconds_left()}")
        code1, code2 = input("Code 1: "), input("Code 2: ")
        try:
            return complete(aws, enrollment, code1, code2)
        except CodeRejected as exc:
            print(f"Rejected: {rejection_text(exc)}")
            if exc.retry_after is not None or prompts >= MAX_PROMPTS:
                raise _Stop("too many rejected codes (remove the entry from the app and run this again)",
                            1) from None


def cli_enroll(rt: Any) -> int:
    """``rootwizard mfa enroll --user NAME [--device-name NAME]`` on a plain terminal. The
    QR code and the secret are drawn on a private screen, cleared from the screen and the
    scrollback before anything else is said (wizard.terminal.private_screen)."""
    if not sys.stdin.isatty():
        print("rootwizard: mfa enroll needs an interactive terminal (codes are typed from the "
              "authenticator app); nothing was created.", file=sys.stderr)
        return 2
    try:
        user = validate_user_name(rt.args.user)
        device = validate_device_name(rt.args.device_name or "", user)
    except InputError as exc:
        print(f"rootwizard: {visible(exc)}", file=sys.stderr)
        return 2
    aws = rt.aws()
    enrollment: Enrollment | None = None
    drawn = False
    try:
        enrollment = _cli_start(aws, user, device)
        if enrollment is None:
            return 1
        print(f"Virtual MFA device created: {visible(enrollment.serial)}")
        try:
            with private_screen() as drawn:
                evidence = _pair_codes(aws, enrollment)
        finally:
            if drawn:
                print(CLEARED_NOTE)
        print(f"MFA enabled for {visible(evidence['user'])}: {visible(evidence['serial'])} "
              f"(seen with {evidence['verified_by']}).")
        return 0
    except _Stop as stop:
        return _cli_abort(aws, enrollment, stop.why, stop.code)
    except (KeyboardInterrupt, EOFError) as exc:
        print()
        return _cli_abort(aws, enrollment, "cancelled", 130 if isinstance(exc, KeyboardInterrupt) else 1)
    except WizardError as exc:
        if enrollment is not None and not (enrollment.enabled or enrollment.deleted):
            return _cli_abort(aws, enrollment, str(exc), 1)
        gone = f" The unassigned device {enrollment.serial} was deleted." if enrollment and enrollment.deleted else ""
        print(f"rootwizard: {visible(exc)}{visible(gone)}", file=sys.stderr)
        return 1


def _cli_start(aws: AwsAccess, user: str, device: str) -> Enrollment | None:
    account = aws.identity().account_id
    while True:
        try:
            return start_enrollment(aws, user, device, account_id=account)
        except AlreadyExistsError:
            other = free_device_name(aws, device)
            if not _ask_yes(f"A virtual MFA device named {device!r} already exists. "
                            f"Use {other!r} instead? [Y/n] ", input, default=True):
                print("rootwizard: device name taken; choose another with --device-name.", file=sys.stderr)
                return None
            device = other


def _cli_abort(aws: AwsAccess, enrollment: Enrollment | None, why: str, code: int) -> int:
    if enrollment is None:
        print(f"rootwizard: {visible(why)}; nothing was created.", file=sys.stderr)
        return code
    try:
        cancel(aws, enrollment)
    except AwsError as exc:
        print(f"rootwizard: {visible(why)}; {visible(exc)}", file=sys.stderr)
        return code
    print(f"rootwizard: {visible(why)}; the unassigned device {visible(enrollment.serial)} was deleted.",
          file=sys.stderr)
    return code
