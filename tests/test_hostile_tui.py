"""Untrusted text reaches the TUI as text: markup, escape sequences, Markdown/HTML and odd
Unicode from a session, from AWS (user paths, device paths, contact names) or typed by the
operator never crash the app and never reach the terminal as control characters."""

from __future__ import annotations

import asyncio
import json
import unicodedata

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import settle
from wizard.checklist import Checklist, Status
from wizard.session import SessionStore

ACCOUNT = "123456789012"
HOSTILE = [
    "waiting for token [/]",
    "/[/]/",
    "[b]bold[/b] [link=http://e.invalid]l[/link] [@click=app.quit]quit[/]",
    "A\x1b]0;TITLE\x07B",
    "\x1b[2J\x1b[3J\x9b31m\x1bP+q\x1b\\",
    "\u202eevil\u2066isolate\u2069 zero\u200bwidth",
    "<b>html</b> ![img](http://e.invalid/i.png) [link](http://e.invalid) `a`b`",
    "e\u0301\u0301 \U0001f468\u200d\U0001f469 \udc80 line\u2028sep",
]


def _acts(ch: str) -> bool:
    return ch not in "\u200c\u200d" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def rendered(app) -> list[str]:  # noqa: ANN001
    """The text of every line the current screen sends to the terminal."""
    from screens.compat import screen_lines

    _region, lines = screen_lines(app)
    return ["".join(seg.text for seg in line if not seg.control) for line in lines]


def assert_clean(app) -> str:  # noqa: ANN001
    lines = rendered(app)
    bad = [line for line in lines if any(_acts(c) for c in line)]
    assert not bad, bad[:3]
    return "\n".join(lines)


def _session(tmp_path, text: str, *, raw_status: str | None = None) -> SessionStore:
    store = SessionStore(tmp_path / "state", ACCOUNT)
    cl = Checklist(account_id=ACCOUNT, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ops")
    cl.set_status("connect", Status.DONE, evidence={"account_id": ACCOUNT}, source="aws")
    cl.set_status("contact_info", Status.SKIPPED, reason=text)
    cl.set_status("root_password", Status.CONFIRMED, note=text, source="operator",
                  evidence={"operator_note": text})
    cl.set_status("security_questions", Status.RETIRED, note=text)
    cl.set_status("root_usage", Status.FAILED, error=text)
    doc = {"schema_version": 1, "session": cl.to_json()}
    if raw_status is not None:
        doc["session"]["steps"][0]["status"] = raw_status
    store.prepare()
    store.path.write_text(json.dumps(doc))
    return store


async def _walk_session_text(make_app, tmp_path, text: str) -> None:
    _session(tmp_path, text)
    app = make_app(resume=True, state_dir=tmp_path / "state")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seen = assert_clean(app)
        assert "[c]" in seen and "[r]" in seen  # the sidebar's marks are text, not markup
        for step in ("contact_info", "root_password", "security_questions", "root_usage", "summary"):
            app.goto(step)
            await settle(app, pilot)
            assert_clean(app)
        app.notify(text)  # a toast quoting it
        await pilot.pause()
        assert_clean(app)
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("text", HOSTILE)
async def test_session_text_everywhere_it_is_shown(make_app, tmp_path, text):
    await _walk_session_text(make_app, tmp_path, text)


async def test_session_status_markup_is_reported_not_parsed(make_app, tmp_path):
    _session(tmp_path, "ok", raw_status="[/]")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seen = assert_clean(app)
        assert "'[/]'" in seen  # the unreadable session is explained, quoting the value as text


async def open_at(app, pilot, step_id: str, selector: str) -> None:
    """Open a step and bring ``selector`` into view (it is above the focused buttons)."""
    if app.ctx.checklist is None:
        app.ctx.new_checklist()
    app.goto(step_id)
    await settle(app, pilot)
    app.screen.query_one(selector).scroll_visible(animate=False)
    await settle(app, pilot)


async def test_caller_and_device_paths_with_markup(make_app, moto_endpoint, monkeypatch):
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    iam.create_user(UserName="ops", Path="/[/]/")
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    iam.create_virtual_mfa_device(VirtualMFADeviceName="planted", Path="/[/]/")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.ctx.identity is not None and "/[/]/" in app.ctx.identity.arn
        assert "user/[/]/ops" in assert_clean(app)
        await open_at(app, pilot, "iam_user_mfa", "#orphans")
        assert "mfa/[/]/planted" in assert_clean(app).replace("\n", "")


async def test_alternate_contact_name_cannot_retitle_the_terminal(make_app, moto_endpoint):
    account = boto3.client("account", endpoint_url=moto_endpoint, region_name="us-east-1")
    account.put_alternate_contact(AlternateContactType="SECURITY", Name="Eve\x1b]0;PWNED\x07 [/]",
                                  Title="CISO", EmailAddress="eve@example.com", PhoneNumber="+15555550100")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await open_at(app, pilot, "alternate_contacts", "#security-current")
        seen = assert_clean(app)
        assert "Eve\\x1b]0;PWNED\\x07 [/]" in seen


PIECES = st.sampled_from(HOSTILE) | st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=3).map(" ".join).filter(lambda t: t.strip()))
def test_property_any_session_text_is_shown_as_text(make_app, tmp_path_factory, text):
    asyncio.run(_walk_session_text(make_app, tmp_path_factory.mktemp("s"), text))


async def test_report_user_names_with_escape_sequences(make_app, tmp_path):
    """A credential report CSV is a file: its user names reach the table and the findings
    with their control characters visible."""
    from datetime import UTC, datetime

    from synthetic import generate_synthetic_report

    content = generate_synthetic_report(3, datetime.now(UTC), seed=3)
    found = content.split("arn:aws:iam::")[1].split(":")[0]
    content = content.replace(f"::{found}:", f"::{ACCOUNT}:")
    lines = content.splitlines()
    name = lines[2].split(",")[0]
    evil = "eve\x1b]0;PWNED\x07[/]"
    path = tmp_path / "report.csv"
    path.write_text("\n".join([*lines[:2], lines[2].replace(name, evil, 1), *lines[3:]]) + "\n")
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        app.goto("credential_report")
        await settle(app, pilot)
        app.screen.query_one("#report-file").value = str(path)
        await pilot.click("#analyse-file")
        await settle(app, pilot)
        assert_clean(app)
        table = app.screen.query_one("#users")
        # the virtualised table keeps the values and shows each cell through visible()
        shown = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "eve\\x1b]0;PWNED\\x07[/]" in shown
        assert not any(_acts(ch) for ch in shown.replace("\n", ""))
        findings = [str(w.render()) for w in app.screen.query(".finding")]
        assert not any(_acts(ch) for f in findings for ch in f.replace("\n", ""))
        assert any("eve\\x1b]0;PWNED" in f for f in findings)  # named in a finding, as text


@pytest.mark.parametrize("kind", ["fifo", "deep", "nan"])
async def test_unreadable_session_in_the_tui_is_moved_aside_and_kept(make_app, tmp_path, kind):
    import os

    from screens.dialogs import Choice

    store = SessionStore(tmp_path / "state", ACCOUNT)
    store.prepare()
    if kind == "fifo":
        os.mkfifo(store.path)
    elif kind == "deep":
        store.path.write_bytes(b'{"schema_version": 1, "session": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    else:
        store.path.write_bytes(b'{"schema_version": 1, "session": {"account_id": "123456789012", "sandbox": NaN}}')
    app = make_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, Choice)
            assert_clean(app)
            await pilot.click("#aside")
            await settle(app, pilot)
            assert app.ctx.checklist is not None
        kept = list(store.folder.glob("session.json.corrupt-*"))
        assert len(kept) == 1
        assert store.path.is_file()  # the new session
    finally:
        if kind == "fifo":  # release a reader the old code left blocked
            for p in [store.path, *store.folder.glob("session.json.corrupt-*")]:
                try:
                    os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
