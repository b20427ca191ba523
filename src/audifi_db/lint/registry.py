"""The explicit list of lint rules: the only place a rule is switched on.

`tests/unit/lint/test_registry.py` checks that every module in `rules/` is listed here,
documented and tested.
"""

from __future__ import annotations

from types import ModuleType

from .rules import (
    adding_check_constraint,
    adding_column_with_volatile_default,
    adding_column_without_equality,
    adding_domain_constraint,
    adding_enum_value_in_transaction,
    adding_exclusion_constraint,
    adding_foreign_key_constraint,
    adding_identity_column,
    adding_primary_key,
    adding_required_column,
    adding_stored_generated_column,
    adding_unique_constraint,
    allow_missing_reason,
    allow_unknown_rule,
    attaching_partition,
    changing_column_type,
    clustering_table,
    creating_index_non_concurrently,
    detaching_partition_non_concurrently,
    disabling_trigger,
    dropping_column,
    dropping_database,
    dropping_index_non_concurrently,
    dropping_required_column_default,
    dropping_schema,
    dropping_table,
    dropping_trigger,
    dropping_with_cascade,
    granting_to_public,
    identifier_too_long,
    integer_identity_column,
    lock_table,
    missing_no_transaction_directive,
    moving_to_tablespace,
    non_transactional_statement_in_do_block,
    not_rerunnable,
    refreshing_materialized_view,
    reindexing_non_concurrently,
    renaming_column,
    renaming_enum_value,
    renaming_schema,
    renaming_table,
    setting_not_null,
    setting_table_logged,
    syntax_error,
    trace_mismatch,
    trace_statement_failed,
    transaction_control_in_migration,
    truncating_table,
    unused_allow,
    update_or_delete_without_where,
    vacuum_full,
    validating_in_same_transaction,
)

# Rules that look at statements: ID, SEVERITY, NODE_TYPES, check(ctx, statement).
STATEMENT_RULES: tuple[ModuleType, ...] = (
    adding_required_column,
    dropping_column,
    renaming_column,
    dropping_table,
    creating_index_non_concurrently,
    dropping_with_cascade,
    not_rerunnable,
    changing_column_type,
    setting_not_null,
    adding_foreign_key_constraint,
    adding_check_constraint,
    validating_in_same_transaction,
    adding_unique_constraint,
    adding_column_with_volatile_default,
    dropping_index_non_concurrently,
    adding_primary_key,
    adding_identity_column,
    renaming_table,
    lock_table,
    truncating_table,
    vacuum_full,
    clustering_table,
    reindexing_non_concurrently,
    update_or_delete_without_where,
    transaction_control_in_migration,
    missing_no_transaction_directive,
    adding_enum_value_in_transaction,
    granting_to_public,
    non_transactional_statement_in_do_block,
    adding_stored_generated_column,
    setting_table_logged,
    moving_to_tablespace,
    refreshing_materialized_view,
    dropping_schema,
    renaming_schema,
    dropping_trigger,
    disabling_trigger,
    attaching_partition,
    detaching_partition_non_concurrently,
    renaming_enum_value,
    adding_domain_constraint,
    adding_exclusion_constraint,
    dropping_required_column_default,
    adding_column_without_equality,
    integer_identity_column,
    identifier_too_long,
    dropping_database,
)

# Rules the engine reports itself: ID, SEVERITY and a docstring.
ENGINE_RULES: tuple[ModuleType, ...] = (
    unused_allow,
    allow_missing_reason,
    allow_unknown_rule,
    syntax_error,
    trace_mismatch,
    trace_statement_failed,
)

ALL_RULES = STATEMENT_RULES + ENGINE_RULES
# Reported by `lint --trace` only: the static lint leaves their allow comments to it.
TRACE_RULE_IDS = frozenset((trace_mismatch.ID, trace_statement_failed.ID))


def rules_for(statement) -> tuple[ModuleType, ...]:
    """The rules that look at this statement, in registry order. An ALTER TABLE's rules are
    keyed by its subcommands too (`AlterTableStmt:AT_AddColumn`): most ALTER TABLE rules
    read one kind of subcommand, and a migration is mostly ALTER TABLEs."""
    if statement.node_type != "AlterTableStmt":
        return RULES_BY_NODE_TYPE.get(statement.node_type, ())
    subtypes = tuple(cmd["AlterTableCmd"]["subtype"] for cmd in statement.body.get("cmds", ()))
    found = _ALTER_RULES.get(subtypes)
    if found is None:
        wanted = set(RULES_BY_NODE_TYPE.get("AlterTableStmt", ()))
        for subtype in subtypes:
            wanted.update(RULES_BY_NODE_TYPE.get(f"AlterTableStmt:{subtype}", ()))
        found = _ALTER_RULES[subtypes] = tuple(r for r in STATEMENT_RULES if r in wanted)
    return found


_ALTER_RULES: dict[tuple[str, ...], tuple[ModuleType, ...]] = {}  # subcommands -> rules


def _by_node_type() -> dict[str, tuple[ModuleType, ...]]:
    table: dict[str, list[ModuleType]] = {}
    for rule in STATEMENT_RULES:
        for node_type in rule.NODE_TYPES:
            table.setdefault(node_type, []).append(rule)
    return {node_type: tuple(rules) for node_type, rules in table.items()}


RULES_BY_NODE_TYPE = _by_node_type()
