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


def test_one_module_owns_files_on_disk():
    """Every open, read, write, temp file and folder creation in wizard/ and screens/ goes
    through wizard/files.py (regular files only, atomic, private)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\b(os\.open|open\(|io\.open|\.write_text|\.write_bytes|\.read_text|\.read_bytes|"
                         r"tempfile\.|\.mkdir\(|os\.makedirs|NamedTemporaryFile|os\.replace|os\.link)")
    found = []
    for path in sorted([*root.glob("wizard/*.py"), *root.glob("wizard/**/*.py"), *root.glob("screens/**/*.py")]):
        if path.name == "files.py" and path.parent.name == "wizard":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and "def " not in code:
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
