"""The events contract and the fan-out that isolates listeners from the run and each other."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime

import pytest

from audifi_db import events
from audifi_db.fanout import Fanout

TARGET = events.Target("staging", "audifi_staging", "postgresql://deploy:***@db/audifi_staging")


def applied(version: str) -> events.MigrationApplied:
    return events.MigrationApplied(
        target=TARGET, version=version, name="m", duration_ms=1, statements=1, rows_affected=0
    )


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.closed = False

    def on_event(self, event: events.Event) -> None:
        self.seen.append(event.version)

    def close(self) -> None:
        self.closed = True


class Raising:
    def on_event(self, event: events.Event) -> None:
        raise RuntimeError("broken listener")


class Sleeping:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_event(self, event: events.Event) -> None:
        time.sleep(self.seconds)


def test_every_listener_gets_every_event_in_order_and_is_closed():
    first, second = Recorder(), Recorder()
    with Fanout([first, second]) as fanout:
        for i in range(200):
            fanout.emit(applied(f"{i:03d}"))
    assert first.seen == second.seen == [f"{i:03d}" for i in range(200)]
    assert first.closed and second.closed


def test_a_raising_listener_is_reported_once_and_stops_no_one():
    reports, recorder = [], Recorder()
    with Fanout([Raising(), recorder], report=reports.append) as fanout:
        for version in ("1", "2", "3"):
            fanout.emit(applied(version))
    assert recorder.seen == ["1", "2", "3"]
    assert len(reports) == 1 and "Raising failed on migration_applied: RuntimeError" in reports[0]


def test_a_hanging_listener_holds_nothing_up_past_the_delivery_timeout():
    reports, recorder = [], Recorder()
    began = time.monotonic()
    with Fanout([Sleeping(30), recorder], delivery_timeout=0.5, report=reports.append) as f:
        f.emit(applied("1"))
        time.sleep(0.7)  # the sleeper is now past its delivery time
        f.emit(applied("2"))
    assert time.monotonic() - began < 10  # not the sleeper's 30 s
    assert recorder.seen == ["1", "2"]
    assert len(reports) == 1 and "Sleeping has been handling migration_applied" in reports[0]


def test_close_waits_for_slow_listeners_but_never_longer_than_the_timeout():
    reports = []
    began = time.monotonic()
    fanout = Fanout([Sleeping(30)], delivery_timeout=0.3, report=reports.append)
    fanout.emit(applied("1"))
    fanout.close()
    assert time.monotonic() - began < 10
    assert "did not finish within 0.3 s" in reports[0]


def test_listeners_run_off_the_emitting_thread():
    threads = []

    class Where:
        def on_event(self, event):
            threads.append(threading.current_thread())

    with Fanout([Where()]) as fanout:
        fanout.emit(applied("1"))
    assert threads and threads[0] is not threading.current_thread()


def test_a_burst_of_events_wakes_a_listener_a_few_times_not_once_per_event():
    """Each wake-up is a thread switch the run pays for: events emitted while the listener's
    thread gathers are delivered together. Counted as the listener thread's voluntary context
    switches (it blocks only to wait for events)."""
    import resource

    switches = []

    class Switches(Recorder):
        def on_event(self, event):
            super().on_event(event)
            switches.append(resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw)

    listener = Switches()
    with Fanout([listener]) as fanout:
        for i in range(300):
            fanout.emit(applied(str(i)))
            time.sleep(0.0005)  # a quick migration's pace: one woken thread per event before
    assert listener.seen == [str(i) for i in range(300)]
    assert switches[-1] - switches[0] < 100


def sample(cls: type[events.Event]) -> events.Event:
    """An instance of an event type with a plain value for each field."""
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in ("target", "at") or f.default is not dataclasses.MISSING:
            continue
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            continue
        kind = str(f.type)
        values[f.name] = 1 if "int" in kind else True if "bool" in kind else "x"
    return cls(target=TARGET, **values)


@pytest.mark.parametrize("cls", events.EVENT_TYPES, ids=lambda c: c.NAME)
def test_every_event_has_a_json_form_with_its_name_time_and_target(cls):
    data = sample(cls).to_json()
    assert data["schema"] == events.SCHEMA_VERSION and data["event"] == cls.NAME
    assert (
        datetime.fromisoformat(data["at"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0
    )
    assert data["target"] == {
        "environment": "staging",
        "database": "audifi_staging",
        "url": "postgresql://deploy:***@db/audifi_staging",
    }


def test_event_names_are_unique():
    names = [cls.NAME for cls in events.EVENT_TYPES]
    assert len(names) == len(set(names))


def test_docs_events_md_documents_every_event_and_field():
    from events_doc import documented

    docs = documented()
    for cls in events.EVENT_TYPES:
        fields = {f.name for f in dataclasses.fields(cls)} - {"target", "at"}
        assert docs.get(cls.NAME) == fields, cls.NAME
    assert set(docs) == {cls.NAME for cls in events.EVENT_TYPES}


def test_a_listener_naming_its_events_is_woken_for_those_alone_in_order():
    class Failures(Recorder):
        EVENTS = frozenset({"migration_failed"})

    failed = events.MigrationFailed(
        target=TARGET,
        version="2",
        name="m",
        path="db/migrations/2_m.sql",
        line=1,
        statement=1,
        statements=1,
        sqlstate="42P01",
        error="relation does not exist",
        duration_ms=1,
    )
    picky, everything = Failures(), Recorder()
    with Fanout([picky, everything]) as fanout:
        for event in (applied("1"), failed, applied("3")):
            fanout.emit(event)
    assert picky.seen == ["2"] and everything.seen == ["1", "2", "3"]


def test_the_human_printer_is_woken_for_every_event_it_prints_and_no_other():
    from audifi_db.cli.output import HumanPrinter

    names = {cls.NAME for cls in events.EVENT_TYPES}
    handled = {name for name in names if hasattr(HumanPrinter, f"_{name}")}
    assert "migration_applied" in handled and "statement_started" not in handled
    assert HumanPrinter.EVENTS & names == handled


def test_a_hidden_replica_lag_is_a_warning_line_on_stderr(capsys):
    from audifi_db.cli.output import HumanPrinter

    HumanPrinter().on_event(
        events.ReplicaLagUnseen(
            target=events.Target("production", "audifi", "postgresql://x"),
            version="20260101000001",
            table="plays",
            replicas=2,
        )
    )
    err = capsys.readouterr().err
    assert "warning: backfill of plays cannot see the lag of 2 streaming replicas" in err
    assert "grant the deploying role pg_monitor" in err
