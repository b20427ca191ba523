from datetime import UTC, datetime

import pytest

from audifi_db import discovery
from audifi_db.errors import ConfigError, MigrationFileError


def write(folder, name, data=b"select 1;\n"):
    path = folder / name
    path.write_bytes(data)
    return path


def test_discovers_in_version_order_with_checksums(tmp_path):
    write(tmp_path, "20260102000000_second.sql")
    write(tmp_path, "20260101000000_first.sql")
    write(tmp_path, "README.md", b"docs")
    write(tmp_path, ".gitkeep", b"")
    found = discovery.discover(tmp_path)
    assert [m.version for m in found] == ["20260101000000", "20260102000000"]
    assert found[0].name == "first" and found[0].transactional


def test_crlf_and_bom_do_not_change_the_checksum(tmp_path):
    lf = write(tmp_path, "20260101000000_a.sql", b"create table t (id int);\nselect 1;\n")
    crlf = write(tmp_path, "20260101000001_a.sql", b"create table t (id int);\r\nselect 1;\r\n")
    bom = write(
        tmp_path, "20260101000002_a.sql", b"\xef\xbb\xbfcreate table t (id int);\r\nselect 1;\r\n"
    )
    sums = {discovery.read_migration(p).checksum for p in (lf, crlf, bom)}
    assert len(sums) == 1
    edited = write(tmp_path, "20260101000003_a.sql", b"create table t (id bigint);\nselect 1;\n")
    assert discovery.read_migration(edited).checksum not in sums


@pytest.mark.parametrize(
    "name",
    ["2026_bad.sql", "20260101000000-dash.sql", "20260101000000_Upper.sql", "20260101000000_x.txt"],
)
def test_a_file_with_a_bad_name_is_an_error_naming_it(tmp_path, name):
    write(tmp_path, name)
    with pytest.raises(MigrationFileError, match=name):
        discovery.discover(tmp_path)


def test_duplicate_versions_are_an_error_naming_both(tmp_path):
    write(tmp_path, "20260101000000_a.sql")
    write(tmp_path, "20260101000000_b.sql")
    with pytest.raises(MigrationFileError, match="_a.sql.*_b.sql|_b.sql.*_a.sql"):
        discovery.discover(tmp_path)


def test_empty_and_non_utf8_files_are_errors(tmp_path):
    empty = write(tmp_path, "20260101000000_empty.sql", b"  \n")
    with pytest.raises(MigrationFileError, match="empty"):
        discovery.read_migration(empty)
    latin1 = write(tmp_path, "20260101000001_latin.sql", "select 'é';".encode("latin-1"))
    with pytest.raises(MigrationFileError, match="not UTF-8"):
        discovery.read_migration(latin1)


def test_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        discovery.discover(tmp_path / "nope")


def test_no_transaction_directive_in_leading_comments_only(tmp_path):
    marked = write(
        tmp_path,
        "20260101000000_a.sql",
        b"-- build it online\n-- audifi-db: no-transaction\nselect 1;\n",
    )
    assert not discovery.read_migration(marked).transactional
    late = write(tmp_path, "20260101000001_b.sql", b"select 1;\n-- audifi-db: no-transaction\n")
    assert discovery.read_migration(late).transactional


def test_unknown_directive_is_an_error(tmp_path):
    path = write(tmp_path, "20260101000000_a.sql", b"-- audifi-db: no-transactoin\nselect 1;\n")
    with pytest.raises(MigrationFileError, match=":1: unknown directive"):
        discovery.read_migration(path)


def test_next_version_never_repeats_within_a_second():
    now = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert discovery.next_version([], now) == "20260101000000"
    assert discovery.next_version(["20260101000000"], now) == "20260101000001"
    assert discovery.next_version(["20260101000005"], now) == "20260101000006"


def test_create_migration_twice_in_one_second_gives_two_versions(tmp_path):
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    first = discovery.create_migration(tmp_path, "add_users", now)
    second = discovery.create_migration(tmp_path, "add_users", now)
    assert first.name == "20260101120000_add_users.sql"
    assert second.name == "20260101120001_add_users.sql"
    assert "no-transaction" in first.read_text()
    with pytest.raises(ConfigError, match="snake_case"):
        discovery.create_migration(tmp_path, "Add-Users", now)
