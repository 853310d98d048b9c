import subprocess
import sys


def test_wizard_never_imports_textual():
    code = ("import sys, pkgutil, importlib, wizard;"
            "[importlib.import_module('wizard.'+m.name) for m in pkgutil.iter_modules(wizard.__path__)];"
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_help_is_light():
    """--help needs neither textual, boto3 nor moto (they load lazily)."""
    code = ("import sys; from wizard import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('textual','boto3','botocore','moto') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
