"""The protocol core imports no Django, no app and no settings (STYLE §1)."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "votecrypto"
FORBIDDEN = (
    "django",
    "config",
    "accounts",
    "ballots",
    "tally",
    "petitions",
    "participation",
    "frontend",
    "channels",
    "celery",
)


def imported_modules(path: Path) -> set[str]:
    """Return the top-level module names a source file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_django_or_apps() -> None:
    """No module of votecrypto imports Django, Channels, Celery or an app."""
    files = sorted(CORE.glob("**/*.py"))
    assert len(files) >= 5
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_modules(path) & set(FORBIDDEN))
        for path in files
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_detector_finds_a_django_import(tmp_path: Path) -> None:
    """The check itself notices an import of django."""
    sample = tmp_path / "bad.py"
    sample.write_text("from django.conf import settings\nimport os\n", encoding="utf-8")
    assert imported_modules(sample) == {"django", "os"}
