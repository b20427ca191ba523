from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-check-constraint"


def test_validated_check():
    assert_lint_errors("ALTER TABLE ipos ADD CONSTRAINT pos CHECK (total_shares > 0);", RULE)


def test_not_valid_is_ok():
    assert_lint_ok("ALTER TABLE ipos ADD CONSTRAINT pos CHECK (total_shares > 0) NOT VALID;")


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);")


def test_check_declared_with_a_new_column():
    assert_lint_errors("ALTER TABLE ipos ADD COLUMN fee int CHECK (fee >= 0);", RULE)
