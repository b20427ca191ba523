from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "clustering-table"


def test_cluster():
    assert_lint_errors("CLUSTER tracks USING tracks_pkey;", RULE)
    assert_lint_errors("CLUSTER;", RULE)


def test_cluster_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int PRIMARY KEY); CLUSTER t USING t_pkey;")
