"""No traceback ever reaches the terminal: an exception no screen handles ends the app
with one line; the details go to --log-file only."""

from __future__ import annotations

import logging

import pytest

from conftest import settle


async def test_an_unhandled_exception_is_one_line_and_logged(make_app, tmp_path, monkeypatch, capsys):
    from wizard.redact import setup_log_file

    logger = logging.getLogger("rootwizard")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    log = tmp_path / "debug.log"
    setup_log_file(str(log))
    app = make_app()
    with pytest.raises(ZeroDivisionError):  # run_test hands the bug to the test framework
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            app.call_later(lambda: 1 / 0)
            await pilot.pause()
    assert app.return_code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert " ".join(err.split()) == ("rootwizard: unexpected error (ZeroDivisionError); nothing more was "
                                     "done; details are in the --log-file.")
    assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()
