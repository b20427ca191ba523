from lint_helpers import assert_lint_errors, assert_lint_ok

from audifi_db.lint.model import Severity

RULE = "lock-table"


def test_lock_blocking_writes_is_an_error():
    [hit] = assert_lint_errors("LOCK TABLE users;", RULE)
    assert hit.severity is Severity.ERROR
    assert hit.lock == "ACCESS EXCLUSIVE on users"


def test_weak_lock_is_a_warning():
    [hit] = assert_lint_errors("LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE;", RULE)
    assert hit.severity is Severity.WARNING


def test_lock_on_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); LOCK TABLE t;")
