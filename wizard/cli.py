"""Command line: `rootwizard` (the TUI) and its subcommands.

Heavy imports (textual, boto3, moto) happen inside the functions that need them, so
`--help` and the first screen are fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import cached_property
from pathlib import Path

from wizard import __version__
from wizard.errors import WizardError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: `audit --report` does not import typing (issue 18)
if TYPE_CHECKING:
    from typing import Any

    from wizard.sandbox import Sandbox

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

DESCRIPTION = """\
Secure an AWS account and its root user, step by step: credential report, IAM password
policy, root-only console actions (verified through the AWS API wherever AWS can tell),
virtual MFA with a QR code and two consecutive TOTP codes, a resumable checklist session
and an exported completion record.

Run without a subcommand to start the interactive wizard."""

EPILOG = """\
subcommands:
  sessions          list saved sessions (account, started, progress, last change)
  export            export the completion record of a saved session (json or markdown; --sign KEY)
  verify            check a completion record and whether what it claims still holds in AWS
  audit             analyse the credential report (--report FILE offline, or live)
  password-policy   show or apply the CIS baseline IAM password policy without the TUI
  mfa enroll        enrol a virtual MFA device for an IAM user on a plain terminal
  org status|enable|audit|remediate
                    centralized root access: every member account's root credentials

credentials come from the standard AWS chain (--profile/AWS_PROFILE, environment, SSO,
instance roles); AWS_ENDPOINT_URL is honoured. Sessions live in --state-dir, else
ROOTWIZARD_STATE_DIR, else the platform's user state folder.

exit status: 0 success; 1 audit --strict found a problem, verify found drift or a failed
hash/signature, or a refused/failed action; 2 bad input or an error (one line on stderr)."""


def _common(p: argparse.ArgumentParser, sub: bool = True) -> None:
    """Flags accepted before or after the subcommand. In subparsers their default is
    SUPPRESS so a flag given before the subcommand is not reset by the subparser."""
    g = p.add_argument_group("connection and files")
    kw: dict[str, Any] = {"default": argparse.SUPPRESS} if sub else {}
    g.add_argument("--profile", help="AWS profile to use (default: AWS_PROFILE or the default chain)", **kw)
    g.add_argument("--region", help="AWS region for the clients (default: the profile's, else us-east-1)", **kw)
    g.add_argument("--demo", action="store_true",
                   help="use the built-in sandbox account (moto, in-process) instead of AWS; its state "
                        "is kept in the state folder and restored on the next --demo", **kw)
    g.add_argument("--reset", action="store_true",
                   help="with --demo: start a fresh sandbox account (the saved one and its session "
                        "are set aside)", **kw)
    g.add_argument("--state-dir", metavar="DIR",
                   help="folder for sessions (default: ROOTWIZARD_STATE_DIR or the user state folder)", **kw)
    g.add_argument("--log-file", metavar="FILE",
                   help="write a debug log (AWS calls, outcomes, timings; secrets redacted)", **kw)


class RecordFormats:
    """--format's choices: wizard.record.FORMATS (the one registry of export formats),
    imported only when argparse checks or shows them. Every command builds the whole
    parser, and the record module's imports were a sixth of `audit --report`'s process."""

    def _names(self) -> tuple[str, ...]:
        from wizard.record import FORMATS

        return tuple(FORMATS)

    def __contains__(self, value: object) -> bool:
        return value in self._names()

    def __iter__(self):  # noqa: ANN204 - Iterator[str]: typing is not imported on this path
        return iter(self._names())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rootwizard", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"rootwizard {__version__}")
    parser.add_argument("--resume", action="store_true",
                        help="resume the account's saved session without asking")
    parser.add_argument("--org", action="store_true",
                        help="the organization view: every member account's root credentials (centralized root access)")
    _common(parser, sub=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("sessions", help="list saved sessions")
    _common(p)

    p = sub.add_parser("export", help="export a completion record")
    _common(p)
    p.add_argument("--account", metavar="ID", help="account ID (needed when several sessions are saved)")
    p.add_argument("--format", choices=RecordFormats(), default="json", metavar="FORMAT",
                   help="record format: %(choices)s (default %(default)s)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="overwrite FILE (and FILE.sig) if it exists")
    p.add_argument("--sign", metavar="KEY", help="sign the record with this SSH key (ssh-keygen -Y sign, "
                   "namespace rootwizard-record); the signature goes to FILE.sig; needs -o")
    p.add_argument("--live", action="store_true", help="read the after-state from AWS now and keep it in the "
                   "session before exporting (default: the one read on the summary screen)")

    p = sub.add_parser("verify", help="check a completion record and whether it still holds in AWS")
    _common(p)
    p.add_argument("record", metavar="RECORD", help="a record exported by rootwizard (JSON or Markdown)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--allowed-signers", metavar="FILE",
                   help="check RECORD.sig against this allowed-signers file (ssh-keygen's format)")
    p.add_argument("--markdown", metavar="FILE", help="also write a drift report in Markdown to FILE")

    p = sub.add_parser("audit", help="analyse the IAM credential report")
    _common(p)
    p.add_argument("source", nargs="?", choices=("live",), help="'live' (default without --report): "
                   "generate and download the report from AWS")
    p.add_argument("--report", metavar="FILE", help="analyse a CSV downloaded from the console (no AWS access)")
    p.add_argument("--now", metavar="ISO8601", help="the clock for the analysis (default: now, UTC)")
    p.add_argument("--json", action="store_true", help="print one JSON object (compact, one line)")
    p.add_argument("--pretty", action="store_true", help="with --json: indent the JSON for people")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when root has no MFA, root has an access key, or a console user has no MFA")

    p = sub.add_parser("password-policy", help="show or apply the IAM password policy")
    _common(p)
    p.add_argument("--show", action="store_true", help="show current and proposed policy and the diff (default)")
    p.add_argument("--apply", action="store_true", help="apply the proposed policy and verify it")
    p.add_argument("--yes", action="store_true", help="do not ask before applying")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--max-password-age", type=int, metavar="DAYS",
                   help="expire passwords after DAYS (1-1095; 0 = never expire); default: keep the current "
                        "setting. A looser value than the current one is applied only because you asked for it")

    p = sub.add_parser("mfa", help="virtual MFA for IAM users")
    msub = p.add_subparsers(dest="mfa_command", metavar="ACTION", required=True)
    e = msub.add_parser("enroll", help="enrol a virtual MFA device for an IAM user")
    _common(e)
    e.add_argument("--user", required=True, metavar="NAME", help="IAM user name")
    e.add_argument("--device-name", metavar="NAME", help="virtual MFA device name (default: the user name)")

    from wizard.org_cli import add_org_parser

    add_org_parser(sub, _common)
    return parser


def _fail(msg: str, code: int = EXIT_ERROR) -> int:
    """One line on stderr; control characters in it (a path, an AWS message) made visible."""
    from wizard.text import visible

    print(f"rootwizard: {visible(msg)}", file=sys.stderr)
    return code


class WaitReporter:
    """Says on stderr that an AWS call is waiting, so a silent endpoint is never a silent
    terminal: once a call has waited QUIET_S, then every EVERY_S, and at once when a new
    attempt starts ("rootwizard: Waiting for AWS (sts:GetCallerIdentity): attempt 2 of 3, 13 s …")."""

    QUIET_S = 3.0
    EVERY_S = 5.0
    TICK_S = 0.25

    def __init__(self, aws, stream=None) -> None:  # noqa: ANN001 - wizard.aws.AwsAccess
        import threading

        self.aws = aws
        self.stream = stream if stream is not None else sys.stderr
        self._said: dict[tuple[str, float], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unobserve = aws.observe(self._on_progress)

    def _on_progress(self, progress) -> None:  # noqa: ANN001 - wizard.aws.Progress
        if progress.done:
            self._said.pop((progress.action, progress.started), None)
            return
        if progress.attempt > 1:
            self._say(progress)
        if self._thread is None:
            import threading

            self._thread = threading.Thread(target=self._tick, name="rootwizard-wait", daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK_S):
            for progress in self.aws.in_flight():
                elapsed = progress.elapsed()
                said = self._said.get((progress.action, progress.started))
                if elapsed >= self.QUIET_S and (said is None or elapsed - said >= self.EVERY_S):
                    self._say(progress)

    def _say(self, progress) -> None:  # noqa: ANN001
        from wizard.text import visible

        self._said[(progress.action, progress.started)] = progress.elapsed()
        print(f"rootwizard: {visible(progress.text())} …", file=self.stream, flush=True)

    def close(self) -> None:
        self._stop.set()
        self._unobserve()


class Runtime:
    """The pieces every command shares: log, state folder, AWS access, sandbox."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sandbox: Sandbox | None = None
        self.reporter: WaitReporter | None = None
        if getattr(args, "log_file", None):
            from wizard.redact import setup_log_file

            setup_log_file(args.log_file)

    @cached_property
    def state_dir(self) -> Path:
        """Found when a command first needs it (`audit --report` never does)."""
        from wizard.session import default_state_dir

        return default_state_dir(self.args.state_dir)

    def settings(self):  # noqa: ANN201
        from wizard.aws import ConnectionSettings

        a = self.args
        return ConnectionSettings(profile=a.profile, region=a.region,
                                  endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)

    def aws(self):  # noqa: ANN201
        """The AWS access of a subcommand; waits are reported on stderr (WaitReporter)."""
        from wizard.aws import AwsAccess

        a = self.args
        if a.demo:  # subcommands: start it now (the TUI starts it in a worker instead)
            from wizard.sandbox import start_sandbox

            self.sandbox = start_sandbox(state_dir=self.state_dir, reset=a.reset)
            print(f"rootwizard: SANDBOX: {self.sandbox.notice}", file=sys.stderr)
            aws = AwsAccess(self.sandbox.connection_settings())
        else:
            aws = AwsAccess(self.settings())
        self.reporter = WaitReporter(aws)
        return aws

    def close(self) -> None:
        if self.reporter is not None:
            self.reporter.close()
            self.reporter = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def cmd_tui(rt: Runtime) -> int:
    from wizard import heap

    a = rt.args
    if not a.org:
        heap.pause_until_started()  # the app's first frame ends the pause (RootWizardApp.on_mount)
    from screens.app import OPEN_ORG_VIEW, RootWizardApp
    from wizard.aws import AwsAccess
    from wizard.context import WizardContext

    if not a.org:
        # With --demo the sandbox starts in the connect worker, after the first screen is drawn.
        ctx = WizardContext(aws=AwsAccess(rt.settings()), state_dir=rt.state_dir, demo=a.demo,
                            reset=a.reset)
        app = RootWizardApp(ctx, resume=a.resume)
        try:
            result = app.run()
        finally:
            heap.started()  # an app that ended before its first frame
        if app.return_code:
            return app.return_code
        if result != OPEN_ORG_VIEW:  # connect on a management account offers the org view
            return EXIT_OK if result is None else int(result)
    # The organization view; with --demo the sandbox organization starts in its worker.
    from screens.org import OrgApp
    from wizard.organizations import OrgSession

    org_app = OrgApp(OrgSession(AwsAccess(rt.settings()), rt.state_dir, demo=a.demo))
    org_app.run()
    return org_app.return_code or EXIT_OK


def cmd_sessions(rt: Runtime) -> int:
    from wizard.session import list_sessions
    from wizard.text import visible

    infos = list_sessions(rt.state_dir)
    if not infos:
        print(f"No saved sessions in {rt.state_dir}.")
        return EXIT_OK
    print(f"{'ACCOUNT':<14}{'STARTED':<27}{'PROGRESS':<10}{'LAST CHANGE':<27}NOTE")
    for i in infos:
        note = i.problem or ("sandbox" if i.sandbox else "")
        prog = f"{i.done}/{i.total}" if not i.problem else "-"
        print(visible(f"{i.account_id:<14}{i.started_at or '-':<27}{prog:<10}{i.updated_at or '-':<27}{note}"))
    return EXIT_OK


# Subcommands implemented beside their domain module: "module:function(rt) -> exit code".
COMMANDS = {
    "sessions": cmd_sessions,
    "export": "wizard.record_cli:cli_export",
    "verify": "wizard.record_cli:cli_verify",
    "audit": "wizard.audit:cli_audit",
    "password-policy": "wizard.policy_cli:cli_password_policy",
    "mfa enroll": "wizard.mfa_cli:cli_enroll",
    "org": "wizard.org_cli:cli_org",
}


def _handler(command: str | None):  # noqa: ANN202
    target = COMMANDS.get(command) if command else cmd_tui
    if isinstance(target, str):
        import importlib

        module, _, func = target.partition(":")
        target = getattr(importlib.import_module(module), func)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    if command == "mfa":
        command = f"mfa {args.mfa_command}"
    handler = _handler(command)
    if handler is None:
        parser.error(f"unknown command {command}")
    if getattr(args, "reset", False) and not getattr(args, "demo", False):
        return _fail("--reset starts a fresh sandbox: use it with --demo")
    rt = None
    try:
        rt = Runtime(args)
        return handler(rt)
    except WizardError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
    except Exception as exc:  # noqa: BLE001 - the last resort: one line here, details in the log
        from wizard.redact import log_unexpected

        return _fail(log_unexpected(exc))
    finally:
        if rt is not None:
            rt.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
