from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "validating-in-same-transaction"
SQL = (
    "ALTER TABLE ipos ADD CONSTRAINT pos CHECK (total_shares > 0) NOT VALID;\n"
    "ALTER TABLE ipos VALIDATE CONSTRAINT pos;"
)


def test_validate_in_the_adding_transaction():
    assert_lint_errors(SQL, RULE)


def test_no_transaction_migration_is_ok():
    assert_lint_ok("ALTER TABLE ipos DROP CONSTRAINT IF EXISTS pos;\n" + SQL, transactional=False)


def test_validate_alone_is_ok():
    assert_lint_ok("ALTER TABLE ipos VALIDATE CONSTRAINT pos;")
