"""The pure comparison of the base branch's migrations with this branch's, as literal tables."""

from datetime import UTC, datetime

from audifi_db.branches import Entry, Kind, changed_since, compare, first_difference

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
DIR = "db/migrations"


def entry(version: str, name: str, checksum: str = "") -> Entry:
    return Entry(f"{DIR}/{version}_{name}.sql", version, name, checksum or f"sum-{name}")


USERS = entry("20260101000000", "users")
IPOS = entry("20260102000000", "ipos")
BASE = [USERS, IPOS]


def problems(head, base=BASE, tip=()):
    return [(p.kind, p.path) for p in compare(base, head, now=NOW, base_ref="main", tip=tip)]


def test_a_branch_that_only_adds_newer_migrations_has_no_problem():
    coins = entry("20260103000000", "coins")
    assert problems([*BASE, coins]) == []
    assert changed_since(BASE, [*BASE, coins]) == [coins]


def test_an_edit_to_a_base_migration_is_caught_and_the_fix_is_a_new_migration():
    edited = entry("20260102000000", "ipos", "sum-edited")
    [problem] = compare(BASE, [USERS, edited], now=NOW, base_ref="main")
    assert problem.kind is Kind.EDITED and problem.path == edited.path
    assert "on main already" in problem.message
    assert f"git checkout main -- {edited.path}" in problem.hint and "audifi-db new" in problem.hint
    assert changed_since(BASE, [USERS, edited]) == [edited]


def test_a_deleted_base_migration_is_caught_with_the_command_to_restore_it():
    [problem] = compare(BASE, [USERS], now=NOW, base_ref="main")
    assert (problem.kind, problem.path) == (Kind.DELETED, IPOS.path)
    assert f"git checkout main -- {IPOS.path}" in problem.hint


def test_a_renamed_migration_is_caught_by_version_or_by_content():
    by_name = entry("20260102000000", "initial_public_offerings", "sum-ipos")
    [problem] = compare(BASE, [USERS, by_name], now=NOW)
    assert (problem.kind, problem.path) == (Kind.RENAMED, by_name.path)
    assert problem.hint == f"rename it back: `git mv {by_name.path} {IPOS.path}`"
    by_version = entry("20260105000000", "ipos", "sum-ipos")  # same content, new version
    assert problems([USERS, by_version]) == [(Kind.RENAMED, by_version.path)]


def test_a_new_migration_older_than_the_base_newest_gets_a_git_mv_to_a_fresh_version():
    late = entry("20260101120000", "coins")
    [problem] = compare(BASE, [*BASE, late], now=NOW, base_ref="origin/main")
    assert problem.kind is Kind.OUT_OF_ORDER
    assert "not newer than 20260102000000_ipos.sql" in problem.message
    assert "origin/main" in problem.message
    assert problem.hint == (
        f"give it a fresh version: `git mv {late.path} {DIR}/20260601120000_coins.sql`"
    )


def test_the_base_branch_tip_counts_when_it_moved_on_since_the_fork():
    """main merged another branch's migration after this branch left it."""
    theirs = entry("20260104000000", "analytics")
    ours = entry("20260103000000", "coins")
    assert problems([*BASE, ours]) == []  # against the fork point alone: fine
    assert problems([*BASE, ours], tip=[*BASE, theirs]) == [(Kind.OUT_OF_ORDER, ours.path)]
    # the same version taken on main: named as such
    same = entry("20260104000000", "coins")
    [problem] = compare(BASE, [*BASE, same], now=NOW, base_ref="main", tip=[*BASE, theirs])
    assert "already taken on main by 20260104000000_analytics.sql" in problem.message


def test_two_migrations_with_one_version_move_the_one_the_base_lacks():
    mine = entry("20260102000000", "coins")
    [problem] = compare(BASE, [*BASE, mine], now=NOW)
    assert (problem.kind, problem.path) == (Kind.DUPLICATE_VERSION, mine.path)
    assert f"also used by {IPOS.path}" in problem.message
    assert f"`git mv {mine.path} {DIR}/20260601120000_coins.sql`" in problem.hint


def test_two_new_migrations_with_one_version_after_a_merge():
    a = entry("20260105000000", "add_a")
    b = entry("20260105000000", "add_b")
    assert problems([*BASE, a, b]) == [(Kind.DUPLICATE_VERSION, b.path)]


def test_fresh_versions_never_collide_with_each_other_or_the_future():
    late_a, late_b = entry("20260101000001", "a"), entry("20260101000002", "b")
    future = entry("20990101000000", "later")
    hints = [p.hint for p in compare([*BASE, future], [*BASE, future, late_a, late_b], now=NOW)]
    assert [h.rsplit("/", 1)[1] for h in hints] == [
        "20990101000001_a.sql`",
        "20990101000002_b.sql`",
    ]


def test_a_new_branch_on_an_empty_base_has_no_problem():
    assert problems([USERS], base=[]) == []


def test_first_difference_names_the_first_edited_line():
    assert first_difference("a\nb\nc\n", "a\nB\nc\n") == 2
    assert first_difference("a\nb\n", "a\nb\nc\n") == 3  # appended
    assert first_difference("a\nb\nc\n", "a\nb\n") == 2  # cut at the end: the last line left
