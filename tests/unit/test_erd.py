"""Mermaid ER rendering from literal tables."""

from audifi_db.erd import Column, ForeignKey, Table, mermaid_type, render_mermaid

USERS = Table(
    "users",
    (
        Column("id", "uuid", is_primary_key=True, nullable=False),
        Column("email", "text", nullable=False),
        Column("deleted_at", "timestamp with time zone"),
    ),
)
MASTERS = Table(
    "masters",
    (
        Column("id", "uuid", is_primary_key=True, nullable=False),
        Column("artist_id", "uuid", is_foreign_key=True, nullable=False),
        Column("title", "character varying(255)", nullable=False),
    ),
)
CREDENTIALS = Table("password_credentials", (Column("user_id", "uuid", True, True, False),))
SESSIONS = Table(
    "sessions",
    (
        Column("id", "uuid", is_primary_key=True, nullable=False),
        Column("master_id", "uuid", is_foreign_key=True),
    ),
)
FOREIGN_KEYS = [
    ForeignKey("sessions", ("master_id",), "masters", ("id",)),
    ForeignKey("password_credentials", ("user_id",), "users", ("id",)),
    ForeignKey("masters", ("artist_id",), "users", ("id",)),
]


def test_renders_entities_sorted_with_keys_and_nullability() -> None:
    assert render_mermaid([USERS, MASTERS], []) == (
        "erDiagram\n"
        "    masters {\n"
        "        uuid id PK\n"
        "        uuid artist_id FK\n"
        "        varchar(255) title\n"
        "    }\n"
        "    users {\n"
        "        uuid id PK\n"
        "        text email\n"
        '        timestamptz deleted_at "nullable"\n'
        "    }\n"
    )


def test_relationship_ends_follow_nullability_and_uniqueness() -> None:
    lines = render_mermaid([USERS, MASTERS, CREDENTIALS, SESSIONS], FOREIGN_KEYS).splitlines()
    relationships = [line.strip() for line in lines if "--" in line]
    assert relationships == [
        'masters |o--o{ sessions : "master_id"',
        'users ||--o{ masters : "artist_id"',
        'users ||--o| password_credentials : "user_id"',
    ]
    assert "        uuid user_id PK, FK" in lines


def test_keys_only_drops_plain_columns() -> None:
    text = render_mermaid([USERS, MASTERS], [], keys_only=True)
    assert "title" not in text and "email" not in text
    assert "uuid artist_id FK" in text


def test_composite_foreign_key_label_lists_its_columns() -> None:
    child = Table(
        "balances",
        (
            Column("coin_id", "uuid", True, True, False),
            Column("user_id", "uuid", True, True, False),
        ),
    )
    fk = ForeignKey("balances", ("coin_id", "user_id"), "holdings", ("coin_id", "user_id"))
    assert 'holdings ||--o| balances : "coin_id, user_id"' in render_mermaid([child], [fk])


def test_types_are_made_mermaid_safe() -> None:
    assert mermaid_type("numeric(18,8)") == "numeric(18_8)"
    assert mermaid_type("character varying(64)") == "varchar(64)"
    assert mermaid_type("timestamp without time zone") == "timestamp"
    assert mermaid_type("text[]") == "text[]"
    assert mermaid_type("double precision") == "float8"
