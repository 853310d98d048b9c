"""Child process of the benchmark: start `rootwizard --demo` exactly as the console script
does (headless), print the wall-clock time when its first screen has been drawn, exit."""

import os
import sys
import tempfile
import time


def main() -> None:
    from screens.app import RootWizardApp
    from wizard import cli

    painted = {}

    def on_first_paint(app: RootWizardApp) -> None:
        painted["t"] = time.time()
        print(f"PAINT {painted['t']:.6f}", flush=True)
        os._exit(0)  # do not wait for the sandbox still starting in its worker

    original = RootWizardApp.on_mount

    def on_mount(self):  # noqa: ANN001
        original(self)
        self.call_after_refresh(lambda: self.screen.call_after_refresh(on_first_paint, self))

    RootWizardApp.on_mount = on_mount
    real_run = RootWizardApp.run
    RootWizardApp.run = lambda self, **kw: real_run(self, headless=True, size=(120, 40))
    state = tempfile.mkdtemp()
    sys.exit(cli.main(["--demo", "--state-dir", state]))


if __name__ == "__main__":
    main()
