from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-foreign-key-constraint"


def test_validated_foreign_key():
    [hit] = assert_lint_errors(
        "ALTER TABLE tracks ADD CONSTRAINT tracks_artist_fk "
        "FOREIGN KEY (artist_id) REFERENCES artists (id);",
        RULE,
    )
    assert hit.lock == "SHARE ROW EXCLUSIVE on tracks; SHARE ROW EXCLUSIVE on artists"
    assert "NOT VALID" in hit.recipe and "VALIDATE CONSTRAINT tracks_artist_fk" in hit.recipe


def test_references_in_add_column_checks_only_with_a_default():
    assert_lint_ok("ALTER TABLE tracks ADD COLUMN label_id int REFERENCES labels (id);")
    assert_lint_errors(
        "ALTER TABLE tracks ADD COLUMN label_id int DEFAULT 1 REFERENCES labels (id);", RULE
    )


def test_not_valid_is_ok():
    assert_lint_ok(
        "ALTER TABLE tracks ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES artists (id) NOT VALID;"
    )


def test_new_table_is_ok():
    assert_lint_ok(
        "CREATE TABLE t (a int REFERENCES artists (id));"
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES artists (id);"
    )
