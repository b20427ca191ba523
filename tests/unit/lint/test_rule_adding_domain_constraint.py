import pytest
from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok, lint_last

RULE = "adding-domain-constraint"
CHECK = "ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0);"
CENTS = "CREATE DOMAIN cents AS bigint;"


def test_a_validated_domain_check():
    [hit] = assert_lint_errors(CHECK, RULE)
    assert "NOT VALID" in hit.recipe


def test_not_valid_and_new_domains_are_ok():
    assert_lint_ok("ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0) NOT VALID;")
    assert_lint_ok(f"{CENTS}\n{CHECK}")


def test_across_files_a_domain_of_an_applied_migration_is_checked_one_of_this_run_is_not():
    assert_across_files(RULE, CENTS, CHECK)


@pytest.mark.parametrize(
    "create, rename, domain",
    [
        (CENTS, "ALTER DOMAIN cents RENAME TO price;", "price"),
        (
            "CREATE SCHEMA shop;\nCREATE DOMAIN shop.cents AS bigint;",
            "ALTER SCHEMA shop RENAME TO store;",
            "store.cents",
        ),
    ],
)
def test_a_domain_of_this_run_is_still_new_under_its_new_name(create, rename, domain):
    check = f"ALTER DOMAIN {domain} ADD CONSTRAINT pos CHECK (VALUE >= 0);"
    assert_across_files(RULE, create, rename, check)
    assert_lint_ok(f"{create}\n{rename}\n{check}")


@pytest.mark.parametrize(
    "domains, typed",
    [(CENTS, "cents"), (f"{CENTS}\nCREATE DOMAIN positive_cents AS cents;", "positive_cents")],
)
def test_a_domain_of_this_run_given_to_a_column_of_an_applied_table_scans_that_table(
    domains, typed
):
    """PostgreSQL checks every column of the domain, or of a domain over it, whatever the
    domain's age: a column of an applied table that got it in this run is scanned under a
    SHARE lock. The finding names the column and where it got that type."""
    orders = "CREATE TABLE orders (total bigint);"
    alter = f"{domains}\nALTER TABLE orders ALTER COLUMN total TYPE {typed};"
    [hit] = lint_last(orders, alter, CHECK, applied=1)
    assert hit.rule == RULE
    assert f"orders.total is public.{typed} since 00000000000002_m.sql" in hit.message
    assert lint_last(orders, alter, CHECK, new=True) == []
