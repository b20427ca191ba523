"""The schema model: replay, names as PostgreSQL resolves them, snapshots, the catalogue."""

from audifi_db.lint.column_types import ColumnType
from audifi_db.lint.engine import replay_source
from audifi_db.lint.schema import CatalogValues, SchemaModel, from_catalog

CREATE = """
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY, amount numeric(12, 2) NOT NULL);
CREATE TABLE "Users" (id integer PRIMARY KEY, "E-mail" varchar(80) UNIQUE);
CREATE TABLE users (id integer);
CREATE INDEX invoices_amount ON billing.invoices (amount);
"""


def model(sql: str = CREATE) -> SchemaModel:
    schema = SchemaModel()
    replay_source("1.sql", sql, schema)
    return schema


def test_tables_columns_constraints_and_indexes():
    schema = model()
    invoices = schema.tables["billing.invoices"]
    assert invoices.columns["amount"].type == ColumnType("numeric", (12, 2))
    assert invoices.columns["amount"].not_null and invoices.columns["id"].not_null
    assert invoices.constraints["invoices_pkey"].kind == "primary"
    assert {i.name for i in schema.indexes_on("billing.invoices")} == {
        "billing.invoices_amount",
        "billing.invoices_pkey",
    }


def test_quoted_identifiers_keep_their_case():
    schema = model()
    assert set(schema.tables) >= {"public.Users", "public.users"}
    assert "E-mail" in schema.tables["public.Users"].columns


def test_search_path_from_the_migration_resolves_unqualified_names():
    schema = model(
        CREATE + "SET search_path TO billing, public;\nALTER TABLE invoices ADD note text;"
    )
    assert "note" in schema.tables["billing.invoices"].columns
    assert schema.table_named("invoices") is schema.tables["billing.invoices"]
    schema.begin_file("2.sql", in_run=True)  # each migration starts with the default path
    assert schema.table_named("invoices") is None


def test_an_unqualified_index_is_the_first_on_the_search_path_that_has_it():
    two = "CREATE SCHEMA a;\nCREATE SCHEMA b;\n" + "".join(
        f"CREATE TABLE {s}.t (id int);\nCREATE INDEX foo ON {s}.t (id);\n" for s in "ab"
    )
    schema = model(two + "SET search_path TO b, a;\nDROP INDEX foo;\n")
    assert sorted(schema.indexes) == ["a.foo"]
    schema = model(two + "SET search_path TO public;\nDROP INDEX IF EXISTS foo;\n")
    assert sorted(schema.indexes) == ["a.foo", "b.foo"] and schema.index_named("foo") is None


def test_renames_carry_indexes_and_constraints():
    schema = model(
        CREATE
        + "ALTER TABLE billing.invoices RENAME amount TO total;\n"
        + "ALTER TABLE billing.invoices RENAME TO bills;\n"
    )
    bills = schema.tables["billing.bills"]
    assert "total" in bills.columns and "billing.invoices" not in schema.tables
    assert schema.indexes["billing.invoices_amount"].columns == ("total",)
    assert schema.indexes["billing.invoices_amount"].table == "billing.bills"


def test_dropping_a_schema_drops_what_it_holds():
    schema = model(CREATE + "DROP SCHEMA billing CASCADE;")
    assert (
        "billing.invoices" not in schema.tables and "billing.invoices_amount" not in schema.indexes
    )


def test_a_snapshot_does_not_change_with_the_model():
    schema = model()
    before = schema.snapshot()
    replay_source("2.sql", 'ALTER TABLE users ADD COLUMN plan text;\nDROP TABLE "Users";', schema)
    assert "plan" not in before.tables["public.users"].columns
    assert "public.Users" in before.tables and "public.Users" not in schema.tables


def test_new_is_this_run_or_this_file():
    schema = SchemaModel()
    replay_source("1.sql", "CREATE TABLE a (n int);", schema, in_run=False)
    replay_source("2.sql", "CREATE TABLE b (n int);", schema, in_run=True)
    schema.begin_file("3.sql", in_run=True)
    assert not schema.is_new_table(schema.tables["public.a"])
    assert schema.is_new_table(schema.tables["public.b"])


def test_the_live_catalogue_becomes_the_same_model():
    values = CatalogValues(
        search_path=("public",),
        timezone="Etc/UTC",
        schemas=("public",),
        tables=(("public", "plays", "r", "p", 12e6, None, None),),
        columns=(
            ("public.plays", "count", "integer", True, False),
            ("public.plays", "mood", "mood", False, False),
            ("public.plays", "title", "character varying(20)", False, False),
        ),
        constraints=(
            ("public.plays", "title_nn", "c", True, ["title"], "(title IS NOT NULL)", None),
        ),
        indexes=(("public", "plays_count", "public.plays", ["count"], False, True),),
        enums=(("public.mood", ["calm", "loud"]),),
    )
    schema = from_catalog(values)
    plays = schema.tables["public.plays"]
    assert plays.columns["title"].type == ColumnType("varchar", (20,))
    assert plays.columns["mood"].type == ColumnType("public.mood")
    assert plays.proven_not_null("title") and plays.size() == "about 12 M rows"
    assert [i.name for i in schema.indexes_on("public.plays", "count")] == ["public.plays_count"]
    assert schema.utc and not schema.is_new_table(plays)


def test_columns_declared_with_options_come_from_the_type_or_the_parent():
    """`col WITH OPTIONS …` names no type: the column is the composite type's or the
    parent's (the replay once raised KeyError on it)."""
    schema = model(
        "CREATE TYPE pt AS (a int, b text);\n"
        "CREATE TABLE x OF pt (a WITH OPTIONS NOT NULL);\n"
        "CREATE TABLE p (a int, b text) PARTITION BY LIST (a);\n"
        "CREATE TABLE p1 PARTITION OF p (b WITH OPTIONS DEFAULT 'x') FOR VALUES IN (1);\n"
    )
    assert not schema.tables["public.x"].columns_known
    assert schema.tables["public.p1"].columns["b"].type == ColumnType("text")


def test_a_default_keeps_its_expression_for_drafts():
    schema = model(
        "CREATE TABLE t (a int DEFAULT 0, b timestamptz, c bigserial, d int DEFAULT NULL);\n"
        "ALTER TABLE t ALTER COLUMN b SET DEFAULT now() - interval '1 day';\n"
        "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;\n"
    )
    columns = schema.tables["public.t"].columns
    assert columns["a"].default is None and not columns["a"].has_default
    assert columns["b"].default_sql() == "now() - CAST('1 day' AS interval)"
    assert columns["c"].has_default and columns["c"].default is None  # a sequence's
    assert columns["d"].default_sql() == "NULL"


def test_an_index_is_plain_when_its_columns_say_all_there_is_to_it():
    schema = model(
        "CREATE TABLE t (a int, b text, c int UNIQUE, d int, CONSTRAINT t_d_key UNIQUE (d) "
        "DEFERRABLE);\n"
        "CREATE INDEX t_a_b ON t (a, b);\n"
        "CREATE INDEX t_lower_b ON t (lower(b));\n"
        "CREATE INDEX t_a_part ON t (a) WHERE a > 0;\n"
        "CREATE INDEX t_b_desc ON t (b DESC);\n"
        "CREATE INDEX t_b_ops ON t (b text_pattern_ops);\n"
        "CREATE INDEX t_b_gin ON t USING gin (b);\n"
        "CREATE INDEX t_a_incl ON t (a) INCLUDE (b);\n"
    )
    plain = {i.name.partition(".")[2]: i.plain for i in schema.indexes_on("public.t")}
    assert plain == {
        "t_c_key": True,
        "t_d_key": False,
        "t_a_b": True,
        "t_lower_b": False,
        "t_a_part": False,
        "t_b_desc": False,
        "t_b_ops": False,
        "t_b_gin": False,
        "t_a_incl": False,
    }


def test_unique_using_index_renames_the_index_to_the_constraints_name():
    schema = model(
        "CREATE TABLE t (id int, code int);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY t_code_new ON t (code);\n"
        "ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_new;\n"
    )
    assert [(i.name, i.columns, i.plain) for i in schema.indexes_on("public.t")] == [
        ("public.t_code_key", ("code",), True)
    ]
    assert schema.tables["public.t"].constraints["t_code_key"].columns == ("code",)
    replay_source("2.sql", "ALTER TABLE t DROP CONSTRAINT t_code_key;", schema)
    assert list(schema.indexes_on("public.t")) == []


def test_a_foreign_key_follows_the_table_and_columns_it_references():
    schema = model(
        "CREATE TABLE songs (id int PRIMARY KEY, isrc text UNIQUE);\n"
        "CREATE TABLE covers (id int, isrc text REFERENCES songs (isrc), song int REFERENCES songs);\n"
        "ALTER TABLE songs RENAME TO tracks;\n"
        "ALTER TABLE tracks RENAME COLUMN isrc TO code;\n"
    )
    assert [
        (c.name, c.references, c.referenced) for _, c in schema.foreign_keys_to("public.tracks")
    ] == [
        ("covers_isrc_fkey", "public.tracks", ("code",)),
        ("covers_song_fkey", "public.tracks", ()),
    ]


def test_an_index_on_an_expression_of_a_column_goes_with_the_column():
    schema = model(
        "CREATE TABLE t (id int, slug text, body text, live bool);\n"
        "CREATE INDEX t_lower_slug ON t (lower(slug));\n"
        "CREATE INDEX t_live ON t (id) INCLUDE (body) WHERE live;\n"
        "ALTER TABLE t RENAME COLUMN slug TO handle;\n"
    )
    assert [i.name for i in schema.indexes_on("public.t", "handle")] == ["public.t_lower_slug"]
    assert [i.name for i in schema.indexes_on("public.t", "body")] == ["public.t_live"]
    replay_source("2.sql", "ALTER TABLE t DROP COLUMN handle, DROP COLUMN live;", schema)
    assert list(schema.indexes_on("public.t")) == []


def test_a_schema_named_after_its_owner():
    """`CREATE SCHEMA AUTHORIZATION r` names the schema r (the replay once raised KeyError);
    with CURRENT_USER the name is unknown here and the schema is left out."""
    schema = model(
        "CREATE SCHEMA AUTHORIZATION r;\nCREATE SCHEMA AUTHORIZATION CURRENT_USER;\n"
        "CREATE TABLE r.t (id int);\n"
    )
    assert "r" in schema.schemas and "r.t" in schema.tables
