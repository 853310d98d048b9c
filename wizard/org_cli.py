"""`rootwizard org status|enable|audit|remediate`: centralized root access for an AWS
Organization on a plain terminal (the domain is wizard.organizations).

stdout carries only the result (one JSON object with --json, else readable text);
progress, questions and notes go to stderr. Exit codes: 0 all audited and clean / ready /
every remediation verified; 1 findings, something missing, a refused or failed change;
2 bad input or a fatal error (one line on stderr, printed by wizard.cli.main); 130 when
interrupted (what was read is kept: `org audit --resume` continues).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable

from wizard.errors import InputError, SessionError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: every command builds this parser, `audit --report` too
if TYPE_CHECKING:
    from typing import Any, TextIO

EXIT_OK, EXIT_FINDINGS, EXIT_INTERRUPTED = 0, 1, 130
MAX_CONCURRENCY = 64
SAVE_EVERY_S = 1.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """Text from AWS or a file as one plain terminal line: control characters shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(text))


def _concurrency(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= n <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CONCURRENCY}")
    return n


def add_org_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `org` subcommands, hooked into wizard.cli's parser."""
    p = sub.add_parser("org", help="centralized root access for an AWS Organization")
    osub = p.add_subparsers(dest="org_command", metavar="ACTION", required=True)

    s = osub.add_parser("status", help="organization, trusted access, root features, what is missing")
    common(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")

    s = osub.add_parser("enable", help="enable trusted access for IAM and the root features (management account)")
    common(s)
    s.add_argument("--yes", action="store_true", help="do not ask before making the calls")
    s.add_argument("--json", action="store_true", help="print the state read back as one JSON object")

    s = osub.add_parser("audit", help="every member account's root credentials, through sts:AssumeRoot")
    common(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--concurrency", type=_concurrency, default=8, metavar="N",
                   help=f"accounts audited at once (1-{MAX_CONCURRENCY}, default 8)")
    s.add_argument("--accounts", metavar="ID,...", help="audit only these member accounts")
    s.add_argument("--resume", action="store_true",
                   help="continue the last interrupted audit of this organization")
    _record_args(s)

    s = osub.add_parser("remediate", help="remove member accounts' root credentials (named accounts only)")
    common(s)
    s.add_argument("--accounts", metavar="ID,...", help="the member accounts to remediate (required "
                   "unless --allow-password-recovery alone)")
    s.add_argument("--delete", metavar="WHAT", help="what to remove: password,keys,certificates,mfa "
                   "(default all four; required with --yes)")
    s.add_argument("--yes", action="store_true", help="do not ask (needs the explicit --delete list)")
    s.add_argument("--allow-password-recovery", metavar="ID", action="append", default=[],
                   help="let the root email holder of this member account recover the root password "
                        "(IAMCreateRootUserPassword); repeatable")
    s.add_argument("--concurrency", type=_concurrency, default=8, metavar="N",
                   help=f"accounts handled at once (1-{MAX_CONCURRENCY}, default 8)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    _record_args(s)


def _record_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--record", metavar="FILE", help="also write the organization completion record (Markdown "
                   "when FILE ends in .md, else JSON); `rootwizard verify FILE` re-checks it")
    s.add_argument("--sign", metavar="KEY", help="sign the record with this SSH key (FILE.sig beside it)")


def _write_record(rt: Any, audit: dict[str, Any] | None, remediation: dict[str, Any] | None) -> None:
    """The organization record, when --record was given (exit 2 when it cannot be written)."""
    from pathlib import Path

    from wizard.org_record import build_org_record, export_org_record

    if not rt.args.record:
        return
    record = build_org_record(audit, [remediation] if remediation else None, sandbox=rt.sandbox is not None)
    path = Path(rt.args.record)
    sig = export_org_record(record, path, sign_key=rt.args.sign)
    print(f"rootwizard: organization record written: {path}" + (f" (signature {sig})" if sig else ""),
          file=sys.stderr)
    print(f"rootwizard: SHA-256 of the record body: {record['body_sha256']}", file=sys.stderr)


def cli_org(rt: Any) -> int:
    record = getattr(rt.args, "record", None)
    if record:  # said before any account is read, not after
        from pathlib import Path

        if Path(record).exists() or Path(record).is_symlink():
            raise InputError(f"{record} already exists; choose another file for the organization record.")
    elif getattr(rt.args, "sign", None):
        raise InputError("--sign needs --record FILE (the signature goes to FILE.sig).")
    handlers = {"status": _status, "enable": _enable, "audit": _audit, "remediate": _remediate}
    return handlers[rt.args.org_command](rt)


def org_access(rt: Any) -> Any:
    """The management account's AWS access: the sandbox organisation with --demo."""
    if rt.args.demo:
        from wizard.aws import AwsAccess
        from wizard.org_sandbox import start_org_sandbox

        rt.sandbox = start_org_sandbox()
        print("rootwizard: demo: a sandbox organization (moto, in-process); nothing reaches AWS.",
              file=sys.stderr)
        # Fewer retries than for AWS: the sandbox's throttling account answers in seconds, not minutes.
        return AwsAccess(rt.sandbox.connection_settings(max_attempts=3))
    return rt.aws()


def _ask(question: str) -> bool:
    sys.stderr.write(question)
    sys.stderr.flush()
    return sys.stdin.readline().strip().casefold() in ("y", "yes")


def _may_ask(what: str) -> bool:
    if sys.stdin.isatty():
        return True
    print(f"rootwizard: {what}: no terminal to ask for confirmation; review and run again with --yes.",
          file=sys.stderr)
    return False


# ---- org status / enable ----------------------------------------------------------------------

def status_lines(st: Any) -> list[str]:
    from wizard.organizations import FEATURE_CREDENTIALS, IAM_PRINCIPAL, ROOT_FEATURES

    def yes(v: bool | None) -> str:
        return "unknown (only the management account can read it)" if v is None else ("yes" if v else "no")

    lines = [f"Caller: {plain(st.caller_arn)} ({st.caller_role.replace('_', ' ')})"]
    if st.in_organization:
        lines += [f"Organization: {st.organization_id} (all features: {yes(st.all_features)})",
                  f"Management account: {st.management_account_id}",
                  f"Trusted access for {IAM_PRINCIPAL}: {yes(st.trusted_access_iam)}"]
        for f in ROOT_FEATURES:
            lines.append(f"Root feature {f}: {'enabled' if f in st.enabled_features else 'not enabled'}")
        if st.features_error:
            lines.append(f"  (iam:ListOrganizationsFeatures answered {plain(st.features_error)})")
        lines.append(f"Ready for `rootwizard org audit`: {'yes' if st.ready_for_audit else 'no'}"
                     + ("" if st.ready_for_audit or FEATURE_CREDENTIALS in st.enabled_features
                        else f" ({FEATURE_CREDENTIALS} is needed)"))
    if st.missing:
        lines += ["", "Missing:"] + [f"  - {m}" for m in st.missing]
    if st.calls:
        lines += ["", "Calls that would enable it (`rootwizard org enable` makes them, from the management "
                  "account):"] + [f"  {c.cli}    # {c.why}" for c in st.calls]
    return lines


def _status(rt: Any) -> int:
    from wizard.organizations import read_status

    st = read_status(org_access(rt))
    if rt.args.json:
        print(json.dumps(st.to_json(), indent=2))
    else:
        print("\n".join(status_lines(st)))
    return EXIT_OK if st.complete else EXIT_FINDINGS


def _enable(rt: Any) -> int:
    from wizard.organizations import enable, read_status

    aws = org_access(rt)
    st = read_status(aws)
    out = sys.stderr if rt.args.json else sys.stdout
    if not st.calls:
        print("\n".join(status_lines(st)), file=out)
        print("\nNothing that `org enable` can do." if st.missing else "\nEverything is enabled already.",
              file=out)
        if rt.args.json:
            print(json.dumps(st.to_json(), indent=2))
        return EXIT_OK if st.complete else EXIT_FINDINGS
    if st.caller_role != "management":
        raise InputError("org enable must run with credentials of the management account "
                         f"(this caller is the {st.caller_role.replace('_', ' ')}).")
    print("These calls will be made from the management account:", file=sys.stderr)
    for c in st.calls:
        print(f"  {c.action} {json.dumps(c.params) if c.params else ''}".rstrip() + f"    # {c.why}",
              file=sys.stderr)
    if not rt.args.yes:
        if not _may_ask("not enabled") or not _ask("Make these calls? [y/N] "):
            print("Nothing was changed.", file=sys.stderr)
            return EXIT_FINDINGS
    after = enable(aws, st.calls)
    print("Read back:", file=out)
    print("\n".join(status_lines(after)), file=out)
    if rt.args.json:
        print(json.dumps(after.to_json(), indent=2))
    return EXIT_OK if after.complete else EXIT_FINDINGS


# ---- org audit ---------------------------------------------------------------------------------

class Progress:
    """A progress bar with count and ETA on stderr (a line now and then when stderr is
    not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "accounts") -> None:
        from wizard.organizations import EtaClock

        self.clock = EtaClock(total)
        self.errors = 0
        self.stream = stream = stream or sys.stderr
        self.label = label
        self.tty = stream.isatty()
        self._last = 0.0

    def update(self, row: Any) -> None:
        self.clock.tick()
        if row.verdict == "error":
            self.errors += 1
        now = time.monotonic()
        done, total = self.clock.done, self.clock.total
        if done < total and now - self._last < (0.1 if self.tty else 2.0):
            return
        self._last = now
        eta = self.clock.eta_s
        eta_text = "-" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
        errs = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
        if self.tty:
            width = 24
            filled = width * done // max(total, 1)
            self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {self.label}"
                              f"{errs}  ETA {eta_text} ")
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(f"rootwizard: {done}/{total} {self.label}{errs}, ETA {eta_text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.clock.done < self.clock.total:
            self.stream.write("\n")
            self.stream.flush()


def audit_lines(audit: Any) -> list[str]:
    from wizard.organizations import VERDICT_LABELS

    lines = [f"Organization {audit.organization_id} (management account {audit.management_account_id})",
             f"Caller: {plain(audit.caller_arn)}",
             f"Root features enabled: {', '.join(audit.features) or 'none'}", ""]
    rows = sorted(audit.accounts, key=lambda r: r.account_id)
    name_w = min(max([4] + [len(r.name) for r in rows]), 28)
    lines.append(f"{'ACCOUNT':<14}{'NAME':<{name_w + 2}}{'STATUS':<11}{'VERDICT':<21}DETAIL")
    for r in rows:
        name = plain(r.name)
        name = name if len(name) <= name_w else name[:name_w - 1] + "…"
        lines.append(f"{r.account_id:<14}{name:<{name_w + 2}}{plain(r.status):<11}"
                     f"{VERDICT_LABELS[r.verdict]:<21}{plain(r.describe())}")
    c = audit.counts
    lines += ["", "Counts: " + ", ".join(f"{c[v]} {VERDICT_LABELS[v]}" for v in VERDICT_LABELS)]
    findings = [r.account_id for r in rows if r.verdict == "credentials_present"]
    if findings:
        lines.append(f"Remove them: rootwizard org remediate --accounts {','.join(findings)}")
    if c["error"]:
        lines.append("Accounts with an error were not read; fix the cause, then run `rootwizard org audit "
                     "--resume` to read only what is missing.")
    return lines


def _audit(rt: Any) -> int:
    from wizard.organizations import OrgAudit, list_accounts, parse_account_ids, prepare_audit, run_audit, utc_now_iso
    from wizard.session import OrgAuditStore

    a = rt.args
    wanted = parse_account_ids(a.accounts) if a.accounts else None
    aws = org_access(rt)
    ctx = prepare_audit(aws)
    accounts = list(list_accounts(aws))
    if wanted is not None:
        known = {acc.account_id for acc in accounts}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise InputError(f"not accounts of organization {ctx.organization_id}: {', '.join(unknown)}")
        accounts = [acc for acc in accounts if acc.account_id in wanted]
    store = OrgAuditStore(rt.state_dir, ctx.management_account_id)
    if not store.lock():
        raise SessionError("Another `rootwizard org audit` of this organization is running.",
                           hint="Wait for it to finish.")
    try:
        audit = OrgAudit(ctx.organization_id, ctx.management_account_id, ctx.caller_arn, ctx.features,
                         started_at=utc_now_iso(), interrupted=True)
        kept = _resumed_rows(store, ctx, accounts, wanted) if a.resume else {}
        if not a.resume and _interrupted_audit_saved(store):
            print("rootwizard: the saved interrupted audit of this organization is replaced by this one "
                  "(`--resume` would have continued it).", file=sys.stderr)
        audit.accounts = list(kept.values())
        todo = [acc for acc in accounts if acc.account_id not in kept]
        if a.resume:
            print(f"rootwizard: resuming: {len(kept)} of {len(accounts)} accounts already read; "
                  f"{len(todo)} to read.", file=sys.stderr)
        return _run_audit(rt, aws, ctx, audit, todo, store, wanted, run_audit)
    finally:
        store.unlock()


def _interrupted_audit_saved(store: Any) -> bool:
    try:
        doc = store.load()
    except SessionError:  # damaged: replaced by this run either way
        return False
    return bool(doc) and not doc["audit"].get("complete", False)


def _resumed_rows(store: Any, ctx: Any, accounts: list[Any], wanted: list[str] | None) -> dict[str, Any]:
    from wizard.organizations import ERROR, OrgAudit

    doc = store.load()
    if doc is None:
        print("rootwizard: no saved audit of this organization: starting a new one.", file=sys.stderr)
        return {}
    try:
        saved = OrgAudit.from_json(doc["audit"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionError(f"The saved organization audit {store.path} has an invalid entry "
                           f"({type(exc).__name__}).", hint="Run without --resume to start a new audit.") from None
    if saved.organization_id != ctx.organization_id:
        raise SessionError(f"The saved audit is of organization {saved.organization_id}, not "
                           f"{ctx.organization_id}.", hint="Run without --resume to start a new audit.")
    current = {acc.account_id for acc in accounts}
    # Rows already read are kept; errors and accounts not read yet are read again.
    return {r.account_id: r for r in saved.accounts if r.verdict != ERROR and r.account_id in current}


def _run_audit(rt: Any, aws: Any, ctx: Any, audit: Any, todo: list[Any], store: Any,
               wanted: list[str] | None, run_audit: Any) -> int:
    from wizard.organizations import utc_now_iso

    def save() -> None:
        store.save({"audit": audit.to_json(), "requested_accounts": wanted})

    progress = Progress(len(todo))
    rows = run_audit(aws, ctx, todo, concurrency=rt.args.concurrency)
    last_save = time.monotonic()
    interrupted = False
    try:
        for row in rows:
            audit.accounts.append(row)
            progress.update(row)
            if time.monotonic() - last_save >= SAVE_EVERY_S:
                save()
                last_save = time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        rows.close()
        progress.close()
    audit.interrupted = interrupted
    audit.finished_at = None if interrupted else utc_now_iso()
    save()
    if interrupted:
        print(f"rootwizard: interrupted: {len(audit.accounts)} accounts read and saved in {store.path}; "
              "`rootwizard org audit --resume` continues.", file=sys.stderr)
    if rt.args.json:
        print(json.dumps(audit.to_json(), indent=2))
    else:
        print("\n".join(audit_lines(audit)))
    if interrupted:
        return EXIT_INTERRUPTED
    _write_record(rt, audit.to_json(), None)
    return EXIT_OK if audit.clean else EXIT_FINDINGS


# ---- org remediate -----------------------------------------------------------------------------

def _remediate(rt: Any) -> int:
    from wizard.aws import run_pool
    from wizard.organizations import (
        OrgRemediation,
        allow_password_recovery,
        audit_accounts,
        list_accounts,
        parse_account_ids,
        parse_delete,
        plan_removals,
        prepare_audit,
        remediate_account,
        skip_reason,
    )
    from wizard.session import OrgAuditStore

    a = rt.args
    if not a.accounts and not a.allow_password_recovery:
        raise InputError("name the accounts: --accounts ID,... (or --allow-password-recovery ID)")
    if a.yes and a.accounts and a.delete is None:
        raise InputError("with --yes, name what to remove: --delete password,keys,certificates,mfa")
    targets = parse_account_ids(a.accounts) if a.accounts else []
    kinds = parse_delete(a.delete)
    recover = parse_account_ids(",".join(a.allow_password_recovery)) if a.allow_password_recovery else []
    aws = org_access(rt)
    ctx = prepare_audit(aws)
    accounts = {acc.account_id: acc for acc in list_accounts(aws)}
    for account_id in targets + recover:  # checked before anything is touched
        acc = accounts.get(account_id)
        if acc is None:
            raise InputError(f"{account_id} is not an account of organization {ctx.organization_id}")
        reason = skip_reason(acc, ctx)
        if reason:
            raise InputError(f"{account_id} cannot be remediated: {reason}")
    aws.pool_size = max(aws.pool_size, a.concurrency)
    info = sys.stderr if a.json else sys.stdout
    result = OrgRemediation(ctx.organization_id, ctx.management_account_id, ctx.caller_arn)

    befores = {row.account_id: row for row in audit_accounts(aws, [accounts[t] for t in targets], a.concurrency)}
    plans = {t: plan_removals(befores[t], kinds) for t in targets if befores[t].verdict != "error"}
    lines = []
    for t in targets:
        before = befores[t]
        if before.verdict == "error":
            lines.append(f"{t} {plain(before.name)}: cannot be read, nothing will be removed: {plain(before.error)}")
        elif not plans[t]:
            lines.append(f"{t} {plain(before.name)}: nothing to remove ({plain(before.describe())})")
        else:
            lines.append(f"{t} {plain(before.name)}: remove " + "; ".join(
                f"{r.kind} {plain(r.target)} ({r.action})" for r in plans[t]))
    for t in recover:
        lines.append(f"{t} {plain(accounts[t].name)}: allow root password recovery (iam:CreateLoginProfile "
                     "without a password; the root email holder then resets it)")
    print("\n".join(["Plan (only the accounts named):"] + [f"  {x}" for x in lines]), file=info)
    changes = any(plans.values()) or recover
    if changes and not a.yes:
        if not _may_ask("nothing removed") or not _ask("Go ahead? [y/N] "):
            print("Nothing was changed.", file=sys.stderr)
            return EXIT_FINDINGS
    to_fix = [t for t in targets if t in plans]
    progress = Progress(len(to_fix) + len(recover))
    runs = run_pool(lambda t: remediate_account(aws, befores[t], kinds), to_fix, a.concurrency)
    interrupted = False
    try:
        for _account_id, done in runs:
            if isinstance(done, BaseException):
                raise done
            result.accounts.append(done)
            progress.update(done.after)
        for t in recover:
            result.password_recovery.append(allow_password_recovery(aws, t))
    except KeyboardInterrupt:  # accounts already started finish; none is started after this
        interrupted = True
    finally:
        runs.close()
        progress.close()
    result.accounts.sort(key=lambda r: targets.index(r.account_id))
    path = OrgAuditStore(rt.state_dir, ctx.management_account_id).save_remediation(result.to_json())
    print(f"rootwizard: before/after recorded in {path}", file=sys.stderr)
    if interrupted:
        done_ids = {r.account_id for r in result.accounts}
        print("rootwizard: interrupted; not recorded (not started, or still running when "
              f"interrupted: audit them again): {', '.join(t for t in to_fix if t not in done_ids) or 'none'}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    unreadable = [t for t in targets if t not in plans]
    _write_record(rt, None, result.to_json())
    if a.json:
        print(json.dumps({**result.to_json(), "unreadable_accounts": unreadable}, indent=2))
    else:
        print("\n".join(remediation_lines(result, unreadable)))
    return EXIT_OK if result.verified and not unreadable else EXIT_FINDINGS


def remediation_lines(result: Any, unreadable: list[str]) -> list[str]:
    lines = ["", "Result (read back with a new audit session):"]
    for r in result.accounts:
        state = "verified" if r.verified else "NOT verified"
        lines.append(f"  {r.account_id} {plain(r.name)}: {state}")
        lines.append(f"    before: {plain(r.before.describe())}")
        lines.append(f"    after:  {plain(r.after.describe()) if r.after else '-'}")
        for o in r.outcomes:
            if not o.ok:
                lines.append(f"    failed: {o.removal.action} {plain(o.removal.target)}: {plain(o.error)}")
        if r.error:
            lines.append(f"    error: {plain(r.error)}")
    for p in result.password_recovery:
        state = "verified" if p.verified else "NOT verified"
        lines.append(f"  {p.account_id}: password recovery allowed: {state}"
                     + (f" ({plain(p.error)})" if p.error else ""))
    for t in unreadable:
        lines.append(f"  {t}: not read, nothing removed")
    return lines
