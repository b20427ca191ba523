from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-enum-value-in-transaction"
ADD = "ALTER TYPE ipo_status ADD VALUE 'paused';"


def test_before_pg12_add_value_cannot_run_in_a_transaction():
    assert_lint_errors(ADD, RULE, server_version=110000)


def test_from_pg12_add_value_alone_is_ok():
    assert_lint_ok(ADD, server_version=120000)


def test_from_pg12_using_the_new_value_in_the_same_transaction():
    assert_lint_errors(ADD + "UPDATE ipos SET status = 'paused' WHERE id = 1;", RULE)


def test_no_transaction_migration_is_ok():
    rerunnable = ADD.replace("ADD VALUE", "ADD VALUE IF NOT EXISTS")
    assert_lint_ok(
        rerunnable + "UPDATE ipos SET status = 'paused' WHERE id = 1;", transactional=False
    )
