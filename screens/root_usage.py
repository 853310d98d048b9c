"""Root usage and the root-only task list: when root was last used, and when its
credentials will be needed again (so they can be locked away until then)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult

from screens.root_base import RootStepScreen, plain
from wizard.checklist import utcnow
from wizard.report_flow import load_kept
from wizard.rootchecks import ASSUME_ROOT_NOTE, ROOT_ONLY_TASKS
from wizard.rootflow import root_usage_evidence, root_usage_lines


class RootUsageScreen(RootStepScreen):
    STEP_ID = "root_usage"
    CONSOLE_LABEL = "Root credentials are locked away"

    def compose_step(self) -> ComposeResult:
        analysis, source = self.ctx.analysis, "From the credential report of this run:"
        if analysis is None and self.ctx.checklist is not None:  # a resumed session: its kept copy
            kept = load_kept(self.ctx.checklist, utcnow())
            if kept is not None:
                self.ctx.analysis = analysis = kept.analysis
                source = (f"From the credential report kept in this session (generated "
                          f"{kept.generated_iso or 'time unknown'}):")
        if analysis is not None:
            text = source + "\n" + "\n".join(root_usage_lines(analysis, utcnow()))
        else:
            text = ("No credential report was analysed in this run: the credential report step "
                    "shows when the root password and root access keys were last used.")
        yield plain(text, id="root-usage", classes="facts")
        tasks = "\n".join(f"• {t.text}" + (" [*]" if t.assume_root else "") for t in ROOT_ONLY_TASKS)
        yield plain("Tasks that require the root user (the only times its credentials are "
                    "needed):\n" + tasks, id="root-tasks", classes="facts")
        yield plain(f"[*] {ASSUME_ROOT_NOTE}", id="assume-root", classes="help")

    def confirm_evidence(self) -> dict[str, Any]:
        return {"root_credentials_locked_away": True, **root_usage_evidence(self.ctx.analysis)}
