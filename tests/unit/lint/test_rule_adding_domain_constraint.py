import pytest
from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok

RULE = "adding-domain-constraint"


def test_a_validated_domain_check():
    [hit] = assert_lint_errors("ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0);", RULE)
    assert "NOT VALID" in hit.recipe


def test_not_valid_and_new_domains_are_ok():
    assert_lint_ok("ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0) NOT VALID;")
    assert_lint_ok(
        "CREATE DOMAIN cents AS bigint;\nALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0);"
    )


@pytest.mark.parametrize(
    "create, rename, domain",
    [
        ("CREATE DOMAIN cents AS bigint;", "ALTER DOMAIN cents RENAME TO price;", "price"),
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
