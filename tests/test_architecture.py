"""The floors of the house hold (docs/architecture.md): the import-linter contracts in
pyproject.toml pass, and no module hides an import inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "entrypoints",
    "channels",
    "api",
    "handoff",
    "store",
    "backoffice",
    "bot",
    "services",
    "conversations",
    "orders",
    "infra",
)
# Imports that only exist on some platforms or only matter in one place, not cycles.
LOCAL_IMPORTS_ALLOWED = {
    ("channels/console.py", "readline"),  # line editing for input(), where the OS has it
    ("infra/sqlite_lock.py", "fcntl"),  # POSIX only
}


LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))"
)


def test_the_import_contracts_pass() -> None:
    # In a child process: import-linter reconfigures logging, which would silence the
    # app's loggers for every test after this one.
    result = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _function_level_imports() -> list[tuple[str, str]]:
    found = []
    files = [ROOT / "app.py", *(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or "."]
                else:
                    continue
                relative = path.relative_to(ROOT).as_posix()
                found += [(relative, name) for name in names]
    return found


def test_no_module_imports_inside_a_function() -> None:
    hidden = [found for found in _function_level_imports() if found not in LOCAL_IMPORTS_ALLOWED]
    assert hidden == []
