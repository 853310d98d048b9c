"""`rootwizard export` and `rootwizard verify` on a plain terminal (wizard.record_flow and
wizard.record_verify do the work)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from wizard.checklist import utcnow
from wizard.errors import InputError, WizardError
from wizard.text import visible

EXIT_OK, EXIT_ERROR = 0, 2


def _err(text: str) -> None:
    print(f"rootwizard: {visible(text)}", file=sys.stderr)


def _account(rt: Any) -> str:
    from wizard.session import list_sessions

    if rt.args.account:
        return rt.args.account
    found = [i for i in list_sessions(rt.state_dir) if not i.problem]
    if not found:
        raise WizardError(f"no saved session in {rt.state_dir}")
    if len(found) > 1:
        raise WizardError("several sessions are saved: choose one with --account "
                          + ", ".join(i.account_id for i in found))
    return found[0].account_id


def _connect(rt: Any, account_id: str):  # noqa: ANN202
    """AWS access and the caller, refusing credentials of another account (exit 2)."""
    aws = rt.aws()
    identity = aws.identity()
    if identity.account_id != account_id:
        raise InputError(f"the record is for account {account_id}, but the credentials are for account "
                         f"{identity.account_id}")
    return aws, identity


def cli_export(rt: Any) -> int:
    from wizard.context import WizardContext
    from wizard.record_flow import export, read_after_state
    from wizard.session import SessionStore

    a = rt.args
    account = _account(rt)
    store = SessionStore(rt.state_dir, account)
    if not store.exists():
        raise WizardError(f"no saved session for account {account} in {rt.state_dir}")
    ctx = WizardContext(aws=None, state_dir=rt.state_dir)  # type: ignore[arg-type]
    ctx.store = store
    try:
        if not store.lock():
            store.read_only = True
        ctx.checklist = store.load()
        if a.live:
            if store.read_only:
                raise WizardError("the session is open in a running wizard; --live would change it.",
                                  hint="Close that wizard, or export without --live.")
            ctx.aws, ctx.identity = _connect(rt, account)
            state = read_after_state(ctx, now=rt.sandbox.now if rt.sandbox is not None else utcnow)
            print(f"After-state read from AWS at {state.read_at}.", file=sys.stderr)
        result = export(ctx, a.format, Path(a.output) if a.output else None, force=a.force, sign_key=a.sign)
    finally:
        store.unlock()
    if a.output:
        print(f"Written: {visible(a.output)}", file=sys.stderr)
        if result.signature:
            print(f"Signature: {result.signature}", file=sys.stderr)
    else:
        sys.stdout.write(result.text)
    print(f"SHA-256 of the record body: {result.body_sha256}", file=sys.stderr)
    if store.read_only:
        print("Note: a running wizard holds this session; the export is not recorded in it.", file=sys.stderr)
    return EXIT_OK


def cli_verify(rt: Any) -> int:
    from wizard import after_state
    from wizard.record import read_record
    from wizard.record_verify import check_integrity, verify
    from wizard.residual import open_findings

    a = rt.args
    path = Path(a.record)
    record = read_record(path)
    report = Path(a.markdown) if a.markdown else None
    if report is not None and (report.exists() or report.is_symlink()):
        raise WizardError(f"{report} already exists; choose another file for the drift report.")
    allowed = Path(a.allowed_signers) if a.allowed_signers else None
    integrity = check_integrity(record, path, allowed)
    from wizard.org_record import is_org_record

    if is_org_record(record):  # an organization's record: re-audit its member accounts
        from wizard.org_cli import org_access
        from wizard.org_record import verify_org

        org_result = verify_org(record, path, org_access(rt), integrity)
        _print_result(org_result, a.json, report)
        return org_result.exit_code
    aws, identity = _connect(rt, str(record["body"]["account_id"]))
    now = after_state.read(aws, identity.account_id)
    result = verify(record, path, now, identity.arn, integrity, open_now=open_findings)
    _print_result(result, a.json, report)
    return result.exit_code


def _print_result(result: Any, as_json: bool, report: Path | None) -> None:
    from wizard.record import write_export

    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print("\n".join(result.text_lines()))
    if report is not None:
        write_export(result.to_markdown(), report)
        print(f"Drift report written: {visible(report)}", file=sys.stderr)
