"""The migrations of bench/online: each naive form and its toolkit counterpart, as an
audifi-db project's migrations (files, or `audifi-db new --template` calls).

The naive forms run with `[online] lock_timeout_ms = 0` (no bounded lock waits: what a
migration tool without them does); the toolkit forms with the defaults. The SQL mirrors
../shared/bench/online/migrations.sh, whose numbers the issue quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAIVE = {"AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS": "0"}
V = "2026010100000"  # + a digit: the naive migrations' versions


@dataclass(frozen=True)
class Variant:
    key: str  # "3-toolkit"
    describe: str
    files: tuple[tuple[str, str], ...] = ()  # (file name, text) in db/migrations
    templates: tuple[tuple[str, ...], ...] = ()  # `audifi-db new` arguments
    environ: dict = field(default_factory=dict)
    blocker: bool = False  # experiment 5: a 20 s reader holds ACCESS SHARE first

    @property
    def naive(self) -> bool:
        return self.key.endswith("naive")


def template(words: str, *expressions: str) -> tuple[str, ...]:
    """`audifi-db new` arguments on tracks: NAME TEMPLATE FLAGS… then flags with spaces."""
    name, kind, *flags = words.split()
    return (name, "--template", kind, "--table", "tracks", *flags, *expressions)


VARIANTS = (
    Variant(
        "1-naive",
        "CREATE INDEX",
        (
            (
                "20260101000001_index.sql",
                "CREATE INDEX tracks_artist_id_idx ON tracks (artist_id);\n",
            ),
        ),
        environ=NAIVE,
    ),
    Variant(
        "1-toolkit",
        "CREATE INDEX CONCURRENTLY (no-transaction migration)",
        (
            (
                "20260101000001_index.sql",
                "-- audifi-db: no-transaction\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_artist_id_idx ON tracks (artist_id);\n",
            ),
        ),
    ),
    Variant(
        "2-naive",
        "ADD COLUMN x bigint NOT NULL DEFAULT (random() * 1000)::bigint (table rewrite)",
        (
            (
                "20260101000001_add_x.sql",
                "ALTER TABLE tracks ADD COLUMN x bigint NOT NULL DEFAULT (random() * 1000)::bigint;\n",
            ),
        ),
        environ=NAIVE,
    ),
    Variant(
        "2-toolkit",
        "--template add-required-column --default '(random() * 1000)::bigint' (6 migrations)",
        templates=(
            template(
                "add_x add-required-column --column x --type bigint --default",
                "(random() * 1000)::bigint",
            ),
        ),
    ),
    Variant(
        "3-naive",
        "ADD COLUMN popularity; UPDATE every row; SET NOT NULL (3 migrations)",
        (
            (
                f"{V}1_add_popularity.sql",
                "ALTER TABLE tracks ADD COLUMN popularity bigint, "
                "ALTER COLUMN popularity SET DEFAULT 0;\n",
            ),
            (
                f"{V}2_fill_popularity.sql",
                "UPDATE tracks SET popularity = plays / 10 WHERE popularity IS NULL;\n",
            ),
            (
                f"{V}3_require_popularity.sql",
                "ALTER TABLE tracks ALTER COLUMN popularity SET NOT NULL;\n",
            ),
        ),
        environ=NAIVE,
    ),
    Variant(
        "3-toolkit",
        "--template add-required-column --default 0 --backfill 'plays / 10' (6 migrations)",
        templates=(
            template(
                "add_popularity add-required-column --column popularity --type bigint --default 0",
                "--backfill",
                "plays / 10",
            ),
        ),
    ),
    Variant(
        "4-naive",
        "ALTER COLUMN duration_ms TYPE bigint (table and index rewrite)",
        (
            (
                "20260101000001_widen.sql",
                "ALTER TABLE tracks ALTER COLUMN duration_ms TYPE bigint;\n",
            ),
        ),
        environ=NAIVE,
    ),
    Variant(
        "4-toolkit",
        "--template change-column-type (4 migrations)",
        templates=(
            template("widen_duration change-column-type --column duration_ms --type bigint"),
        ),
    ),
    Variant(
        "5-naive",
        "ADD COLUMN y behind a 20 s reader, no lock_timeout",
        (("20260101000001_add_y.sql", "ALTER TABLE tracks ADD COLUMN y int;\n"),),
        environ=NAIVE,
        blocker=True,
    ),
    Variant(
        "5-toolkit",
        "ADD COLUMN y behind a 20 s reader, lock_timeout 200 ms and retries",
        (("20260101000001_add_y.sql", "ALTER TABLE tracks ADD COLUMN y int;\n"),),
        blocker=True,
    ),
)
