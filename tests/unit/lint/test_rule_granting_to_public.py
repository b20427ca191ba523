from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "granting-to-public"


def test_grant_to_public():
    assert_lint_errors("GRANT SELECT ON users TO PUBLIC;", RULE)


def test_grant_to_a_role_and_revoke_from_public_are_ok():
    assert_lint_ok("GRANT SELECT ON users TO analytics;")
    assert_lint_ok("REVOKE ALL ON users FROM PUBLIC;")
