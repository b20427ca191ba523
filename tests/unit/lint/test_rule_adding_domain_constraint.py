from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-domain-constraint"


def test_a_validated_domain_check():
    [hit] = assert_lint_errors("ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0);", RULE)
    assert "NOT VALID" in hit.recipe


def test_not_valid_and_new_domains_are_ok():
    assert_lint_ok("ALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0) NOT VALID;")
    assert_lint_ok(
        "CREATE DOMAIN cents AS bigint;\nALTER DOMAIN cents ADD CONSTRAINT pos CHECK (VALUE >= 0);"
    )
