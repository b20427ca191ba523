"""The comparison behind `lint --trace`, on observations made up for the purpose."""

from dataclasses import dataclass, field

from audifi_db.lint.locks import LockMode
from audifi_db.lint.schema import Session
from audifi_db.lint.trace import compare, predict

AE, SUE = LockMode.ACCESS_EXCLUSIVE, LockMode.SHARE_UPDATE_EXCLUSIVE
SETUP = [("a.sql", "CREATE TABLE tracks (n integer, t text);")]


@dataclass
class Seen:
    taken: dict | None = field(default_factory=dict)
    held: dict | None = field(default_factory=dict)
    rewritten: tuple = ()
    error: str | None = None
    created: tuple = ()
    dropped: tuple = ()


def one(sql: str):
    [[prediction]] = predict(SETUP, [("b.sql", sql)], 150000, Session())
    return prediction


def test_the_prediction_is_resolved_through_the_model():
    prediction = one("ALTER TABLE tracks ALTER n TYPE bigint")
    assert prediction.locks == {"public.tracks": AE}
    assert prediction.rewrites == {"public.tracks"}


def test_a_stronger_lock_or_an_unexpected_rewrite_is_an_error():
    prediction = one("ALTER TABLE tracks ALTER t TYPE varchar")
    traced = compare(
        "b.sql", prediction, Seen({"public.tracks": 8}, {"public.tracks": 8}, ("public.tracks",))
    )
    assert traced.verdict == "mismatch"
    assert traced.differences == ["public.tracks was rewritten, not predicted"]
    assert (traced.finding.rule, traced.finding.severity) == ("trace-mismatch", "error")


def test_a_weaker_lock_than_predicted_is_a_warning():
    prediction = one("ALTER TABLE tracks ADD COLUMN x int")
    traced = compare("b.sql", prediction, Seen({"public.tracks": 4}, {"public.tracks": 4}))
    assert traced.differences == [
        "public.tracks: predicted ACCESS EXCLUSIVE, took SHARE UPDATE EXCLUSIVE"
    ]
    assert traced.finding.severity == "warning"


def test_a_lock_held_since_an_earlier_statement_confirms():
    prediction = one("ALTER TABLE tracks ADD COLUMN x int")
    assert compare("b.sql", prediction, Seen({}, {"public.tracks": 8})).verdict == "confirmed"


def test_a_failed_statement_is_a_finding():
    traced = compare("b.sql", one("ALTER TABLE nope ADD x int"), Seen(error="no such table"))
    assert traced.verdict == "failed"
    assert (traced.finding.rule, traced.finding.message) == (
        "trace-statement-failed",
        "no such table",
    )
