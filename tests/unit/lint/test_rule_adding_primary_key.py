from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-primary-key"


def test_add_primary_key():
    [hit] = assert_lint_errors("ALTER TABLE events ADD PRIMARY KEY (id);", RULE)
    assert "PRIMARY KEY USING INDEX events_pkey" in hit.recipe


def test_add_column_primary_key():
    assert_lint_errors("ALTER TABLE events ADD COLUMN id2 int PRIMARY KEY;", RULE)


def test_using_index_is_ok():
    assert_lint_ok(
        "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;"
    )


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id);")
