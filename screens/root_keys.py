"""Root step: delete the root user's access keys (verified by AccountAccessKeysPresent = 0)."""

from __future__ import annotations

from textual.app import ComposeResult

from screens.root_base import RootStepScreen, plain
from wizard.checklist import utcnow
from wizard.rootflow import root_key_lines


class RootKeysScreen(RootStepScreen):
    STEP_ID = "root_access_keys"

    def compose_step(self) -> ComposeResult:
        identity = self.ctx.identity
        if identity is not None and identity.is_root:
            yield plain(
                "This wizard is running on the root user's access keys. Deleting them ends "
                "the wizard's own session, so this step is ordered last: finish the other "
                "steps first, then delete the keys and run the wizard again with IAM "
                "credentials to verify.", id="self-warning", classes="warning")
        if self.ctx.analysis is not None:
            lines = root_key_lines(self.ctx.analysis, utcnow())
            text = "From the credential report of this run:\n" + "\n".join(lines)
        else:
            text = ("The credential report step shows when and where each root key was last "
                    "used (last used date, region, service): run it first to find what still "
                    "uses a key before deleting it.")
        yield plain(text, id="key-usage", classes="facts")
