from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "vacuum-full"


def test_vacuum_full():
    assert_lint_errors("VACUUM FULL tracks;", RULE, transactional=False)
    assert_lint_errors("VACUUM (FULL, ANALYZE) tracks;", RULE, transactional=False)


def test_plain_vacuum_is_ok():
    assert_lint_ok("VACUUM (ANALYZE) tracks;", transactional=False)
