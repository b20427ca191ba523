"""V Studio decisions are made from votes: one per participant present, while the vote is
open, for one of its options; deciding freezes the decision and its votes.

The first five migrations had no votes at all: a decision's data could claim any tally. Then a
decision could still be inserted already decided (the status's old default), be decided with no
vote, or have its options changed after votes were cast for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg2 import errorcodes
from schema_helpers import (
    CHECK,
    RESTRICT,
    Connection,
    execute,
    interleave,
    join,
    new_session,
    new_user,
    open_vote,
    race,
    refused,
    run,
    scalar,
    session,
    single_error,
    vote_sql,
)

DECIDE = "UPDATE session_decisions SET status = 'decided' WHERE id = %s"


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


@pytest.fixture
def vote(db: Connection) -> tuple[str, str]:
    """An open decision on options A and B; (decision id, its session id)."""
    studio = new_session(db)
    return open_vote(db, studio), studio


def votes(db: Connection, decision: str) -> int:
    return scalar(
        db, "SELECT count(*) FROM session_decision_votes WHERE decision_id = %s", (decision,)
    )


def test_one_vote_per_participant_per_decision(db: Connection, vote: tuple[str, str]) -> None:
    decision, studio = vote
    voter = join(db, studio)
    execute(db, vote_sql(decision, voter, "A"))
    with refused(errorcodes.UNIQUE_VIOLATION, "session_decision_votes_one_per_participant"):
        execute(db, vote_sql(decision, voter, "B"))


def test_two_simultaneous_votes_of_one_participant_count_once(
    db: Connection, deployed_url: str, vote: tuple[str, str]
) -> None:
    decision, studio = vote
    voter = join(db, studio)

    outcomes = race(
        deployed_url, *(lambda c, x=x: execute(c, vote_sql(decision, voter, x)) for x in "AB")
    )

    assert single_error(outcomes).pgcode == errorcodes.UNIQUE_VIOLATION
    assert votes(db, decision) == 1


def test_only_participants_present_vote_for_an_option(
    db: Connection, vote: tuple[str, str]
) -> None:
    decision, studio = vote
    with refused(CHECK, "session_decision_votes_voter_is_participant"):
        execute(db, vote_sql(decision, new_user(db)))
    gone = join(db, studio)
    run(db, "UPDATE session_participants SET left_at = now() WHERE user_id = %s", (gone,))
    with refused(CHECK, "session_decision_votes_voter_is_participant"):
        execute(db, vote_sql(decision, gone))
    with refused(CHECK, "session_decision_votes_choice_known"):
        execute(db, vote_sql(decision, join(db, studio), "C"))
    assert votes(db, decision) == 0


def test_a_decided_decision_and_its_votes_are_final(db: Connection, vote: tuple[str, str]) -> None:
    decision, studio = vote
    execute(db, vote_sql(decision, join(db, studio)))
    run(db, "UPDATE session_decisions SET decided_at = '2000-01-01' WHERE id = %s", (decision,))
    run(db, DECIDE, (decision,))
    assert scalar(
        db,
        "SELECT decided_at > now() - interval '1 minute' FROM session_decisions WHERE id = %s",
        (decision,),
    )
    with refused(CHECK, "session_decision_votes_decision_open"):
        execute(db, vote_sql(decision, join(db, studio)))
    for statement in (
        'UPDATE session_decisions SET data = \'{"winner": "B"}\' WHERE id = %s',
        "UPDATE session_decisions SET status = 'open' WHERE id = %s",
        "DELETE FROM session_decisions WHERE id = %s",
    ):
        with refused(RESTRICT, "session_decisions_final"):
            run(db, statement, (decision,))
    for statement in (
        "UPDATE session_decision_votes SET choice = 'B'",
        "DELETE FROM session_decision_votes",
    ):
        with refused(RESTRICT, "session_decision_votes_append_only"):
            run(db, statement)
    assert votes(db, decision) == 1


@pytest.mark.parametrize("vote_first", [True, False], ids=["vote first", "decide first"])
def test_a_vote_racing_the_decision_is_counted_or_refused(
    db: Connection, deployed_url: str, vote: tuple[str, str], vote_first: bool
) -> None:
    decision, studio = vote
    if not vote_first:  # a decision needs a vote: the one it is made from when it goes first
        execute(db, vote_sql(decision, join(db, studio)))
    earlier, voter = votes(db, decision), join(db, studio)

    def cast(c: Connection) -> None:
        execute(c, vote_sql(decision, voter))

    def decide(c: Connection) -> None:
        run(c, DECIDE, (decision,))

    error = interleave(deployed_url, *((cast, decide) if vote_first else (decide, cast)))

    if vote_first:  # the decision waited for the vote and was made from it
        assert error is None and votes(db, decision) == 1
    else:
        assert (
            error is not None
            and error.diag.constraint_name == "session_decision_votes_decision_open"
        )
        assert votes(db, decision) == earlier


def test_a_decision_is_created_open(db: Connection) -> None:
    studio = new_session(db)
    with refused(CHECK, "session_decisions_created_open"):
        run(
            db,
            "INSERT INTO session_decisions (session_id, decision_type, data, status)"
            """ VALUES (%s, 'tempo', '{"bpm": 96}', 'decided')""",
            (studio,),
        )
    # The design sketch's columns alone still make a decision: an open one.
    decision = scalar(
        db,
        "INSERT INTO session_decisions (session_id, decision_type, data)"
        """ VALUES (%s, 'tempo', '{"options": ["92", "96"]}') RETURNING id""",
        (studio,),
    )
    assert scalar(db, "SELECT status FROM session_decisions WHERE id = %s", (decision,)) == "open"
    assert scalar(db, "SELECT count(*) FROM session_decisions") == 1


def test_a_decision_is_made_from_at_least_one_vote(db: Connection, vote: tuple[str, str]) -> None:
    decision, studio = vote
    with refused(CHECK, "session_decisions_decided_from_votes"):
        run(db, DECIDE, (decision,))
    execute(db, vote_sql(decision, join(db, studio)))
    run(db, DECIDE, (decision,))
    assert (
        scalar(db, "SELECT status FROM session_decisions WHERE id = %s", (decision,)) == "decided"
    )


def options(db: Connection, decision: str) -> list[str]:
    return scalar(db, "SELECT data -> 'options' FROM session_decisions WHERE id = %s", (decision,))


SET_OPTIONS = "UPDATE session_decisions SET data = jsonb_set(data, '{options}', %s) WHERE id = %s"


def test_the_options_are_frozen_once_a_vote_exists(db: Connection, vote: tuple[str, str]) -> None:
    decision, studio = vote
    run(db, SET_OPTIONS, ('["A", "B", "C"]', decision))  # no vote yet: still being set up
    execute(db, vote_sql(decision, join(db, studio), "C"))
    for statement, params in (
        (SET_OPTIONS, ('["A", "B"]', decision)),  # the vote for C would point at nothing
        (SET_OPTIONS, ('["A", "B", "C", "D"]', decision)),
        ("UPDATE session_decisions SET data = data - 'options' WHERE id = %s", (decision,)),
        ("UPDATE session_decisions SET data = '{}' WHERE id = %s", (decision,)),
    ):
        with refused(RESTRICT, "session_decisions_options_fixed"):
            run(db, statement, params)
    # The rest of an open decision's data may change (a question reworded).
    run(
        db,
        """UPDATE session_decisions SET data = data || '{"question": "Which?"}' WHERE id = %s""",
        (decision,),
    )
    assert options(db, decision) == ["A", "B", "C"]


def test_options_changed_while_a_vote_is_cast_are_refused(
    db: Connection, deployed_url: str, vote: tuple[str, str]
) -> None:
    decision, studio = vote
    voter = join(db, studio)

    error = interleave(
        deployed_url,
        lambda c: execute(c, vote_sql(decision, voter, "B")),
        lambda c: run(c, SET_OPTIONS, ('["A"]', decision)),
    )

    assert error is not None and error.diag.constraint_name == "session_decisions_options_fixed"
    assert options(db, decision) == ["A", "B"]
