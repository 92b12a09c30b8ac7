"""Configuration in one place (issue 17): a process reads the environment once, through its
settings, at its composition root; nothing else in services/, shared/ or gongkai/ reads
`os.environ` or `os.getenv` (docs/decisions.md, "Configuration in one place")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The settings modules, each read once by a composition root (or a CLI command).
SETTINGS_MODULES = {
    "shared/settings.py": "the common settings (Settings.from_env)",
    "services/intake/config.py": "intake's own settings (IntakeSettings.from_env)",
    "services/notify/config.py": "notify's own settings (NotifySettings.from_env)",
    "services/portal/config.py": "the portal's own settings (PortalConfig.from_env)",
}
# Writes of the environment for child processes, each line marked "env-write".
ENV_WRITES = {
    "gongkai/stack.py": "builds each child process's environment from this one's",
    "shared/serve.py": "tells uvicorn's worker processes which service they run",
}


def _is_read(node: ast.AST) -> bool:
    names = ("environ", "getenv", "environb")
    if isinstance(node, ast.Attribute):
        return (node.attr in names and isinstance(node.value, ast.Name)
                and node.value.id == "os")
    if isinstance(node, ast.ImportFrom):
        return node.module == "os" and any(alias.name in names for alias in node.names)
    return False


def _environment_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return sorted(node.lineno for node in ast.walk(tree) if _is_read(node))


def test_no_environment_reads_outside_the_settings_modules():
    found = []
    for top in ("services", "shared", "gongkai"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in SETTINGS_MODULES:
                continue
            text = path.read_text().splitlines()
            for line in _environment_reads(path):
                if name in ENV_WRITES and "env-write" in text[line - 1]:
                    continue
                found.append(f"{name}:{line}: {text[line - 1].strip()}")
    assert found == [], ("read the environment in a settings module, once, and pass the value "
                         "in:\n" + "\n".join(found))


def test_the_allow_list_names_existing_files():
    for name in (*SETTINGS_MODULES, *ENV_WRITES):
        assert (ROOT / name).is_file(), name


def test_the_check_sees_a_read(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nx = os.environ.get('A')\ny = os.getenv('B')\n"
                      "from os import environ\nos.stat('.')\n")
    assert _environment_reads(sample) == [2, 3, 4]
