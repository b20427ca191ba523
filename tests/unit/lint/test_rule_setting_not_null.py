from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "setting-not-null"
SET = "ALTER TABLE tracks ALTER COLUMN popularity SET NOT NULL;"
PROOF = (
    "ALTER TABLE tracks ADD CONSTRAINT p_nn CHECK (popularity IS NOT NULL) NOT VALID;\n"
    "ALTER TABLE tracks VALIDATE CONSTRAINT p_nn;\n"
)


def test_set_not_null_scans():
    [hit] = assert_lint_errors(SET, RULE)
    assert "CHECK (popularity IS NOT NULL) NOT VALID" in hit.recipe


def test_validated_check_proves_it_from_pg12():
    guard = "ALTER TABLE tracks DROP CONSTRAINT IF EXISTS p_nn;\n"
    assert_lint_ok(
        guard + PROOF + SET + "ALTER TABLE tracks DROP CONSTRAINT IF EXISTS p_nn;",
        transactional=False,
    )


def test_before_pg12_the_check_does_not_help():
    assert_lint_errors(PROOF + SET, RULE, transactional=False, server_version=110000)


def test_unvalidated_check_does_not_prove():
    assert_lint_errors(
        "ALTER TABLE tracks ADD CONSTRAINT p_nn CHECK (popularity IS NOT NULL) NOT VALID;" + SET,
        RULE,
    )


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE tracks (popularity int);" + SET)
