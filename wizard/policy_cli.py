"""`rootwizard password-policy`: show or apply the CIS baseline IAM password policy on a
plain terminal. The same flow as the TUI step (wizard.policy), without Textual.

The only weakening the command line can make is the one the operator types:
--max-password-age DAYS looser than the current expiry (0 = never expires). Every other
field is proposed at least as strict as the current policy, so nothing else can loosen.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from wizard.checklist import BELOW_CIS_LABEL
from wizard.policy import (
    EXPIRY_VIEWS,
    FIELD,
    HARD_EXPIRY_WARNING,
    NO_POLICY_TEXT,
    ROOT_NOTE,
    DiffRow,
    Policy,
    ReadBackMismatch,
    apply_policy,
    cis_compliance,
    cis_failing,
    diff,
    propose,
    read_policy,
    weakened_fields,
)
from wizard.text import visible

EXIT_OK, EXIT_REFUSED = 0, 1
PROMPT = "Apply this policy? [y/N] "
CHANGE_MARK = {"same": "", "stricter": "stricter", "new": "new", "weaker": "WEAKER"}


def diff_table(rows: list[DiffRow]) -> list[str]:
    """The side-by-side diff as aligned text lines."""
    head = ("Field", "Current", "Proposed", "Change")
    cells = [head] + [(r.label, r.current_display, r.proposed_display, CHANGE_MARK[r.change])
                      for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    return ["  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3] for c in cells]


def render_text(current: Policy | None, proposed: Policy, weak: list[str]) -> list[str]:
    lines = [ROOT_NOTE, ""]
    if current is None:
        lines += [NO_POLICY_TEXT, ""]
    lines += diff_table(diff(current, proposed))
    lines += ["", "CIS AWS Foundations checks (proposed policy):"]
    lines += [f"  [{'ok' if ok else 'FAIL'}] {text}" for text, ok in cis_compliance(proposed)]
    lines += ["", "Password expiry is your choice (--max-password-age DAYS, 0 = never expires):"]
    lines += [f"  {who}: {view}" for who, view in EXPIRY_VIEWS]
    if proposed.hard_expiry:
        lines += ["", f"Warning: {HARD_EXPIRY_WARNING}"]
    if weak:
        labels = ", ".join(FIELD[name].label for name in weak)
        lines += ["", f"WEAKER than the current policy: {labels} (chosen with --max-password-age)."]
    failing = cis_failing(proposed)
    if failing:
        lines += ["", f"BELOW the CIS baseline: this policy fails {'; '.join(failing)}. "
                      "Applying it needs your confirmation (or --yes)."]
    return lines


def _ask(stdin: TextIO, stderr: TextIO) -> bool:
    stderr.write(PROMPT)
    stderr.flush()
    return stdin.readline().strip().casefold() in ("y", "yes")


def cli_password_policy(rt: Any) -> int:
    """Exit 0: shown, or applied and verified; 1: not applied (declined, no terminal to
    ask on, or the read-back differs). AWS and input errors raise WizardError (exit 2)."""
    args = rt.args
    out, err = sys.stdout, sys.stderr
    aws = rt.aws()
    current = read_policy(aws)
    proposed = propose(current, args.max_password_age)
    weak = weakened_fields(current, proposed)
    result: dict[str, Any] = {
        "current": None if current is None else current.as_dict(),
        "proposed": proposed.as_dict(),
        "diff": [asdict(row) for row in diff(current, proposed)],
        "weakened": weak,
        "cis": [{"check": text, "ok": ok} for text, ok in cis_compliance(proposed)],
        "cis_failing": cis_failing(proposed),
        "applied": False,
        "read_back_matches": None,
    }
    review = "\n".join(render_text(current, proposed, weak))
    if not args.json:
        print(review, file=out)

    code = EXIT_OK
    if args.apply:
        # With --json, standard output stays one JSON document: the review shown before
        # the question and the outcome line go to standard error.
        code = _apply(args, aws, current, proposed, result, info=err if args.json else out,
                      review=review if args.json else "")
    if args.json:
        print(json.dumps(result, indent=2), file=out)
    return code


def _apply(args: Any, aws: Any, current: Policy | None, proposed: Policy,
           result: dict[str, Any], *, info: TextIO, review: str) -> int:
    """Ask (unless --yes, after showing ``review`` if not shown yet), apply, read back.
    The answer (or --yes) also confirms the CIS checks the policy fails, which the
    review names."""
    err = sys.stderr
    failing = cis_failing(proposed)
    if not args.yes:
        if not sys.stdin.isatty():
            print("rootwizard: not applied: no terminal to ask for confirmation; "
                  "review the policy and run again with --yes.", file=err)
            return EXIT_REFUSED
        if review:
            print(review, file=err)
        if not _ask(sys.stdin, err):
            print("Not applied.", file=err)
            return EXIT_REFUSED
    # An explicit --max-password-age is the operator's confirmation for that field only.
    confirmed = {"MaxPasswordAge"} if args.max_password_age is not None else set()
    try:
        apply_policy(aws, proposed, current, confirmed, confirmed_below_cis=failing)
    except ReadBackMismatch as exc:
        result.update(applied=True, read_back_matches=False)
        print(f"rootwizard: {visible(exc)}", file=err)
        return EXIT_REFUSED
    result.update(applied=True, read_back_matches=True)
    below = f" It is {BELOW_CIS_LABEL}: it fails {'; '.join(failing)}." if failing else ""
    print("Applied: the policy read back from AWS matches every field." + below, file=info)
    return EXIT_OK
