"""docs/architecture.md stays true: every module it lists exists, every module is listed."""

import re

from conftest import REPO

PACKAGE = REPO / "src" / "audifi_db"


def listed_modules() -> set[str]:
    """The modules of the layout block, as paths relative to src/audifi_db."""
    text = (REPO / "docs" / "architecture.md").read_text()
    block = text.split("src/audifi_db/\n", 1)[1].split("\ntests/", 1)[0]
    listed, package = set(), ""
    for line in block.splitlines():
        names = re.split(r"\s{2,}", line.strip())[0]
        if line.startswith("  ") and not line.startswith("   "):
            package = names if names.endswith("/") else ""
        for name in re.findall(r"[\w<>/]+\.py", names):
            listed.add(f"{package if line.startswith('    ') else ''}{name}")
    return listed


def test_every_listed_module_exists_and_every_module_is_listed():
    from audifi_db.cli.main import COMMANDS

    commands = {f"cli/{name.replace('-', '_')}.py" for name in COMMANDS}
    actual = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "lint/rules/" not in path.as_posix()
    }
    listed = listed_modules()
    assert "cli/<command>.py" in listed and "lint/rules/<rule_id>.py" in listed
    listed -= {"cli/<command>.py", "lint/rules/<rule_id>.py"}
    assert actual - commands == listed
    text = (REPO / "docs" / "architecture.md").read_text()
    assert all(f" {name.split('/')[1][:-3]}" in text for name in commands)


def test_the_readme_links_to_this_repositorys_architecture_document():
    readme = (REPO / "README.md").read_text()
    assert "(docs/architecture.md)" in readme and "../shared" not in readme


def test_every_test_tests_readme_names_exists():
    table = (REPO / "tests" / "README.md").read_text()
    files = set(re.findall(r"`((?:cli|db|unit)/[\w/]*\.py|unit/lint/)`", table))
    assert files and all((REPO / "tests" / name).exists() for name in files)
    source = "\n".join(p.read_text() for p in (REPO / "tests").rglob("test_*.py"))
    named = set(re.findall(r"`(test_\w+)`", table))  # names cut short with … are prefixes
    missing = [name for name in named if f"def {name}(" not in source]
    assert not missing
    prefixes = re.findall(r"`(test_\w+)…`", table)
    assert all(f"def {prefix}" in source for prefix in prefixes)
