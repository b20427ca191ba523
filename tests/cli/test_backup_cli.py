"""The backup commands' edges through the real CLI: usage errors, progress lines, and the
cost they must not add to other commands (boto3 is never imported without a bucket)."""

import subprocess
import sys

from audifi_db import events
from audifi_db.cli.progress import ProgressBars

TARGET = events.Target("staging", "audifi", "postgresql://app@db/audifi")


def test_progress_lines_when_not_on_a_terminal(capsys, monkeypatch):
    clock = iter([0.0, 0.1, 6.0, 6.5, 7.0])
    monkeypatch.setattr("audifi_db.cli.progress.time.monotonic", lambda: next(clock))
    bars = ProgressBars(terminal=False)
    for done in (1_000_000, 2_000_000, 30_000_000, 40_000_000, 50_000_000):
        bars.on_event(
            events.BackupProgress(
                target=TARGET, phase="upload", bytes_done=done, bytes_total=50_000_000
            )
        )
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "audifi-db: uploading: 1.0 MB of 50.0 MB",
        "audifi-db: uploading: 30.0 MB of 50.0 MB (5.0 MB/s)",
        "audifi-db: uploading: 50.0 MB of 50.0 MB (7.1 MB/s)",
    ]


def test_progress_bars_on_a_terminal(capsys):
    bars = ProgressBars(terminal=True)
    bars.on_event(events.BackupProgress(target=TARGET, phase="dump", bytes_done=5_000_000))
    bars.on_event(events.BackupProgress(target=TARGET, phase="dump", bytes_done=9_000_000))
    bars.close()
    assert "dumping" in capsys.readouterr().err


def test_backup_usage_errors_are_one_line_exit_2(project):
    for args in (["backup", "verify"], ["backup", "list", "x.dump"]):
        result = project.cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "`backup verify` takes one FILE" in result.stderr
    missing = project.cli("backup", "verify", "nowhere.dump")
    assert missing.returncode == 2 and "cannot read backup manifest nowhere.json" in missing.stderr
    assert project.cli("restore", "nowhere.dump").returncode == 2
    project.write("20260101000001", "t", "create table t (id int);\n")
    assert project.cli("deploy").returncode == 0
    folder = project.root / ".audifi" / "backups"
    taken = project.cli("backup")
    assert taken.returncode == 0, taken.stderr
    (dump,) = folder.glob("*.dump")
    dump.unlink()  # its manifest stays
    for args in (["restore", str(dump)], ["backup", "verify", str(dump)]):
        gone = project.cli(*args)
        assert gone.returncode == 2 and "Traceback" not in gone.stderr
        (line,) = [line for line in gone.stderr.splitlines() if "error:" in line]
        assert f"cannot read {dump}: No such file or directory" in line


def test_status_and_deploy_never_import_boto3(project):
    project.write("20260101000001", "users", "create table users (id int);\n")
    code = (
        "import sys; from audifi_db.cli.main import main; "
        "rc = [main([c, '--database-url', sys.argv[1]]) for c in ('deploy', 'status')]; "
        "print(rc, [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, project.url],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().endswith("[0, 0] []"), result.stdout + result.stderr


def test_a_backup_left_on_a_github_runner_is_flagged(project):
    project.write("20260101000001", "t", "create table t (id int);\n")
    on_runner = project.cli("backup", env=project.env(GITHUB_ACTIONS="true"))
    assert on_runner.returncode == 0, on_runner.stderr
    assert "::warning title=audifi-db backup::the backup " in on_runner.stderr
    assert "set [backup] s3_url" in on_runner.stderr and "::" not in on_runner.stdout
    elsewhere = project.cli("backup")
    assert elsewhere.returncode == 0 and "s3_url" not in elsewhere.stderr
