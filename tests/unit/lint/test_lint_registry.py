"""One registry: every rule module is registered, documented, tested; docs/rules.md is current."""

import pkgutil
import re
from pathlib import Path

import pytest

from audifi_db.cli.lint import FORMATS as CLI_FORMATS
from audifi_db.lint import docs, report, rules
from audifi_db.lint.model import Severity
from audifi_db.lint.registry import ALL_RULES, ENGINE_RULES, STATEMENT_RULES

ROOT = Path(__file__).resolve().parents[3]
TESTS = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
MODULES = sorted(m.name for m in pkgutil.iter_modules(rules.__path__))


def test_every_rule_module_is_registered_once():
    registered = [r.__name__.rpartition(".")[2] for r in ALL_RULES]
    assert sorted(registered) == MODULES


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.ID)
def test_rule_has_id_severity_and_documentation(rule):
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.ID)
    assert rule.ID.replace("-", "_") == rule.__name__.rpartition(".")[2]
    assert isinstance(rule.SEVERITY, Severity)
    assert rule.__doc__ and len(rule.__doc__.strip()) > 80


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.ID)
def test_rule_is_tested(rule):
    assert f'"{rule.ID}"' in TESTS


@pytest.mark.parametrize("rule", STATEMENT_RULES, ids=lambda r: r.ID)
def test_statement_rule_has_node_types_and_check(rule):
    kinds = [t.partition(":")[0] for t in rule.NODE_TYPES]
    assert kinds and all(kind.endswith("Stmt") for kind in kinds)
    subcommands = [t.partition(":")[2] for t in rule.NODE_TYPES if ":" in t]
    assert all(sub.startswith("AT_") for sub in subcommands)
    assert callable(rule.check)


def test_engine_rules_have_no_check():
    assert not any(hasattr(rule, "check") for rule in ENGINE_RULES)


def test_ids_are_unique():
    assert len({r.ID for r in ALL_RULES}) == len(ALL_RULES)


def test_docs_rules_md_is_generated_from_the_rules():
    assert (ROOT / "docs" / "rules.md").read_text() == docs.render(), (
        "run: audifi-db lint --rules > docs/rules.md"
    )


def test_cli_formats_match_the_report():
    assert CLI_FORMATS == report.FORMATS


# The only acknowledged findings in AudiFi's migrations, each with its reason in the file:
# a default partition cannot be detached concurrently; a table swap renames in one transaction.
ACKNOWLEDGED = {
    ("20261201100900_partition_maintenance.sql", "detaching-partition-non-concurrently"),
    ("20261201101200_v_studio_events_swap.sql", "renaming-table"),
}


def test_audifi_migrations_pass_with_nothing_but_the_known_acknowledgements():
    from audifi_db.discovery import discover, is_transactional
    from audifi_db.lint.engine import lint_folder, lint_pending, lint_source

    def acknowledged(findings):
        assert all(f.acknowledged and f.reason for f in findings), findings
        return {(f.file.rpartition("/")[2], f.rule) for f in findings}

    for path in sorted((ROOT / "db" / "migrations").glob("*.sql")):
        text = path.read_text()
        found = lint_source(str(path), text, transactional=is_transactional(text))
        assert acknowledged(found) <= ACKNOWLEDGED
    migrations = discover(ROOT / "db" / "migrations")
    assert acknowledged(lint_folder(migrations)) == ACKNOWLEDGED  # each on what came before
    # All pending in one run (`lint` against an empty database), the tables these allows guard
    # are new: nothing is found, and the allows, needed where those tables exist, are not
    # called unused.
    assert lint_pending(migrations) == []


def test_the_readme_counts_the_rules():
    assert f"{len(ALL_RULES)} rules, each documented" in (ROOT / "README.md").read_text()
