"""A full disk while the credential report step keeps its copy: the screen names the
cause ("No space left on device"), never "Unexpected error: OSError", and the session is
unchanged."""

from __future__ import annotations

import errno
import os
import sys

import pytest

from conftest import settle
from synthetic import generate_synthetic_report
from wizard.checklist import Status

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc/self/fd")


@pytest.fixture
def disk_full_for(monkeypatch):
    """os.write fails with ENOSPC for files whose name contains ``marker`` (as the kernel
    would on a full disk); every other write goes through."""
    real = os.write

    def install(marker: str) -> None:
        def write(fd, data):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if marker in target:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)

    return install


async def test_report_copy_on_a_full_disk_names_the_cause(make_app, tmp_path, disk_full_for):
    from datetime import UTC, datetime

    content = generate_synthetic_report(3, datetime.now(UTC), seed=2)
    found = content.split("arn:aws:iam::")[1].split(":")[0]
    path = tmp_path / "report.csv"
    path.write_text(content.replace(f"::{found}:", "::123456789012:"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.goto("credential_report")
        await settle(app, pilot)
        screen = app.screen
        before = app.ctx.store.path.read_bytes()
        disk_full_for(".credential-report-")
        screen.query_one("#report-file").value = str(path)
        await pilot.click("#analyse-file")
        await settle(app, pilot)
        shown = str(screen.query_one("#error").render()) + str(screen.query_one("#file-error").render())
        assert "No space left on device" in shown
        assert "Unexpected" not in shown and "OSError" not in shown
        assert app.ctx.store.path.read_bytes() == before
        assert app.ctx.checklist.step("credential_report").status == Status.PENDING
        assert not list(app.ctx.store.folder.glob(".credential-report-*.tmp"))
