"""Allow comments the engine itself judges: unknown rule ids, files that do not parse."""

from lint_helpers import lint

INDEX = "CREATE INDEX tracks_artist_idx ON tracks (artist_id);"


def test_unknown_rule_in_an_allow_is_an_error_naming_it():
    findings = lint(f"-- audifi-db: allow creating-index-non-concurently small table\n{INDEX}")
    unknown = [f for f in findings if f.rule == "allow-unknown-rule"]
    assert len(unknown) == 1 and unknown[0].blocking
    assert "'creating-index-non-concurently'" in unknown[0].message
    assert "did you mean creating-index-non-concurrently?" in unknown[0].recipe


def test_allow_in_a_file_with_a_syntax_error_is_reported():
    findings = lint(f"-- audifi-db: allow creating-index-non-concurrently small\n{INDEX}\nSELEC 1;")
    assert [f.rule for f in findings] == ["syntax-error", "unused-allow"]
    assert "syntax error, so nothing was checked" in findings[1].message
    assert findings[0].message.startswith("syntax error at or near")
