"""Users and auth, round two: email identity independent of the locale, real password hashes,
recovery codes that stay used.

Each attack got through against the first five migrations: on a database created with the C
locale lower() folds no accented letter, so 'Émile@…' and 'émile@…' (or a decomposed 'é') were
two accounts; a plaintext string was accepted as a bcrypt hash; a used recovery code could be
marked unused again, and, once that was refused, the application could still delete the used
code and insert its hash again, unused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg2
import pytest
from conftest import REPO, admin_execute, with_database
from schema_helpers import (
    CHECK,
    RESTRICT,
    UNIQUE,
    Connection,
    interleave,
    member_logins,
    new_user,
    refused,
    rows,
    run,
    scalar,
    session,
)


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


@pytest.fixture
def login_as(deployed_url: str) -> Iterator[Callable[[str], Connection]]:
    yield from member_logins(deployed_url)


@pytest.fixture(scope="module")
def c_locale_url(server_url: str) -> Iterator[str]:
    """A database created with the C locale (lower() folds ASCII only), every migration
    deployed by the engine; one for the module, dropped afterwards."""
    from audifi_db import operations
    from audifi_db.config import load_settings

    name = f"audifi_test_c_{uuid.uuid4().hex[:12]}"
    admin_execute(
        server_url,
        f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'",
    )
    url = with_database(server_url, name)
    operations.deploy(load_settings("local", url, cwd=REPO, environ={}))
    yield url
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def c_db(c_locale_url: str) -> Iterator[Connection]:
    """A connection whose users are removed afterwards (the database is shared by the module)."""
    conn = next(session(c_locale_url))
    yield conn
    run(conn, "DELETE FROM users")
    conn.close()


SAME_PERSON = [
    ("Émile@Exämple.de", "émile@exämple.de"),
    ("e\u0301mile@example.de", "\u00e9mile@example.de"),  # decomposed and composed é
    ("ÅSA.LINDQVIST@EXEMPEL.SE", "åsa.lindqvist@exempel.se"),
    ("ΣΟΦΙΑ@παράδειγμα.gr", "σοφια@ΠΑΡΆΔΕΙΓΜΑ.gr"),
    ("ИВАН@пример.рф", "иван@ПРИМЕР.РФ"),
    ("ＪＵＮ@example.kr", "jun@example.kr"),  # full-width letters
]


@pytest.mark.parametrize(("first", "second"), SAME_PERSON)
def test_one_account_per_email_whatever_the_case_on_a_c_locale_database(
    c_db: Connection, first: str, second: str
) -> None:
    assert (
        scalar(c_db, "SELECT datcollate FROM pg_database WHERE datname = current_database()") == "C"
    )
    new_user(c_db, email=first)
    with refused(UNIQUE, "users_email_folded_key"):
        new_user(c_db, email=second)


def test_different_addresses_stay_different(c_db: Connection) -> None:
    for email in (
        "emile@example.de",
        "émile@example.de",
        "strasse@example.de",
        "straße@example.de",
    ):
        new_user(c_db, email=email)
    assert scalar(c_db, "SELECT count(*) FROM users") == 4


@pytest.mark.parametrize(
    "email", ["no-at-sign.example.com", "two@@example.com", "a b@example.com", "nodot@example"]
)
def test_an_email_looks_like_one(db: Connection, email: str) -> None:
    with refused(CHECK, "users_email_format"):
        new_user(db, email=email)


def test_login_looks_up_by_the_folded_email(c_db: Connection) -> None:
    user = new_user(c_db, email="Zoë@Example.com")
    assert (
        scalar(
            c_db,
            "SELECT id FROM users WHERE audifi_fold_email(email) = audifi_fold_email(%s)",
            ("ZOË@example.COM",),
        )
        == user
    )


# --- password hashes ------------------------------------------------------------

ARGON2ID = "$argon2id$v=19$m=65536,t=3,p=4$c2FtcGxlc2FsdDEyMzQ1Ng$Jm2mC7xWv5bB3d2pQw9mQeX1a0Q2l8hI1u7y0rTn3cE"
BCRYPT = "$2b$12$KIXQJ8pZ4bU1v9e7x3n2UeYw5l0c8T6rA1sD3fG7hJ9kL2mN4pQrS"
SCRYPT = "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"


@pytest.mark.parametrize(
    ("password_hash", "algorithm"),
    [
        ("hunter2hunter2hunter2hunter2", "bcrypt"),  # a plaintext password
        (BCRYPT[:-5], "bcrypt"),  # truncated
        (BCRYPT, "argon2id"),  # the algorithm does not match the hash
        (ARGON2ID.replace("argon2id", "argon2i"), "argon2id"),  # argon2i is not what we write
        ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "bcrypt"),  # md5-crypt
    ],
)
def test_only_encoded_hashes_are_stored(db: Connection, password_hash: str, algorithm: str) -> None:
    with refused(CHECK, "password_credentials_hash_format"):
        run(
            db,
            "INSERT INTO password_credentials (user_id, password_hash, algorithm) VALUES (%s, %s, %s)",
            (new_user(db), password_hash, algorithm),
        )


@pytest.mark.parametrize(
    ("password_hash", "algorithm"), [(ARGON2ID, "argon2id"), (BCRYPT, "bcrypt"), (SCRYPT, "scrypt")]
)
def test_the_backends_hash_formats_are_accepted(
    db: Connection, password_hash: str, algorithm: str
) -> None:
    run(
        db,
        "INSERT INTO password_credentials (user_id, password_hash, algorithm) VALUES (%s, %s, %s)",
        (new_user(db), password_hash, algorithm),
    )


# --- recovery codes -----------------------------------------------------------------


def new_code(db: Connection) -> str:
    return scalar(
        db,
        "INSERT INTO recovery_codes (user_id, code_hash) VALUES (%s, %s) RETURNING id",
        (new_user(db), f"sha256:{uuid.uuid4().hex}"),
    )


USE_CODE = "UPDATE recovery_codes SET used_at = now() WHERE id = %s"


def test_a_used_recovery_code_stays_used(db: Connection) -> None:
    code = new_code(db)
    with refused(RESTRICT, "recovery_codes_fixed"):
        run(
            db,
            "UPDATE recovery_codes SET code_hash = 'sha256:another-code-entirely' WHERE id = %s",
            (code,),
        )
    run(db, USE_CODE, (code,))
    for statement in (
        "UPDATE recovery_codes SET used_at = NULL WHERE id = %s",
        "UPDATE recovery_codes SET used_at = used_at + interval '1 day' WHERE id = %s",
        USE_CODE,
    ):
        with refused(RESTRICT, "recovery_codes_single_use"):
            run(db, statement, (code,))
    assert scalar(db, "SELECT used_at IS NOT NULL FROM recovery_codes WHERE id = %s", (code,))


DELETE_CODE = "DELETE FROM recovery_codes WHERE id = %s"


def after_a_login(url: str, code: str, second: str) -> psycopg2.Error | None:
    """A login uses the code; `second` (on the code) waits for it to commit: its error."""
    return interleave(url, lambda c: run(c, USE_CODE, (code,)), lambda c: run(c, second, (code,)))


def is_used_code_refusal(error: psycopg2.Error | None) -> bool:
    return (
        isinstance(error, psycopg2.Error)
        and error.diag.constraint_name == "recovery_codes_single_use"
    )


def test_two_logins_racing_for_one_recovery_code_exactly_one_wins(
    db: Connection, deployed_url: str
) -> None:
    assert is_used_code_refusal(after_a_login(deployed_url, new_code(db), USE_CODE))


def test_a_used_recovery_code_is_kept_so_its_hash_cannot_come_back_unused(
    db: Connection, login_as: Callable[[str], Connection]
) -> None:
    app = login_as("audifi_app")  # it may DELETE recovery codes: regenerating a set
    user, used_hash = new_user(db), f"sha256:{uuid.uuid4().hex}"
    insert = "INSERT INTO recovery_codes (user_id, code_hash) VALUES (%s, %s) RETURNING id"
    used = scalar(app, insert, (user, used_hash))
    unused = scalar(app, insert, (user, f"sha256:{uuid.uuid4().hex}"))
    run(app, USE_CODE, (used,))
    with refused(RESTRICT, "recovery_codes_single_use"):
        run(app, DELETE_CODE, (used,))
    with refused(UNIQUE, "recovery_codes_user_code_key"):
        run(app, insert, (user, used_hash))
    run(app, DELETE_CODE, (unused,))  # an unused code can still be replaced
    assert rows(
        db, "SELECT id, used_at IS NOT NULL FROM recovery_codes WHERE user_id = %s", (user,)
    ) == [(used, True)]


def test_a_code_used_while_it_is_being_deleted_is_kept(db: Connection, deployed_url: str) -> None:
    code = new_code(db)
    assert is_used_code_refusal(after_a_login(deployed_url, code, DELETE_CODE))
    assert scalar(db, "SELECT used_at IS NOT NULL FROM recovery_codes WHERE id = %s", (code,))
