from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "update-or-delete-without-where"


def test_whole_table_update_and_delete():
    [hit] = assert_lint_errors("UPDATE tracks SET popularity = plays / 10;", RULE)
    assert 'ctx.backfill("tracks", set="…", where="<not yet done>")' in hit.recipe
    [hit] = assert_lint_errors("DELETE FROM sessions;", RULE)
    assert (
        '"DELETE FROM sessions WHERE ctid IN (SELECT ctid FROM sessions WHERE <not yet done> '
        'LIMIT 10000)"'
    ) in hit.recipe


def test_with_where_is_ok():
    assert_lint_ok("UPDATE tracks SET popularity = 0 WHERE id = 1;")
    assert_lint_ok("DELETE FROM sessions WHERE ended_at < now() - interval '1 year';")


def test_seed_rows_of_new_table_are_ok():
    assert_lint_ok(
        "CREATE TABLE plans (n text); INSERT INTO plans VALUES ('free'); UPDATE plans SET n = 'x';"
    )
