"""Every number in a bundled scenario has a source claim or a stated assumption."""

import pytest
from conftest import ROOT, SCENARIOS

from negsim.errors import ScenarioError
from negsim.provenance import check_document, claims_by_id, entries, explain, load_cards
from negsim.scenario import load_scenario

BUNDLED = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "base").glob("*.yaml"))


@pytest.fixture(scope="module")
def cards():
    return load_cards()


def test_cards_load_and_claim_ids_are_unique(cards):
    assert len(cards) == 5
    ids = [c.id for card in cards.values() for c in card.claims]
    assert len(ids) == len(set(ids)) and len(ids) >= 40


def test_every_source_document_has_a_card(cards):
    from conftest import ROOT

    files = {card.file for card in cards.values()}
    shared = ROOT.parent / "shared" / "seeds"
    expected = {p.name for p in shared.glob("0*.txt")} if shared.is_dir() else files
    assert expected <= files


def test_repeated_documents_do_not_repeat_claims(cards):
    # 001 is a paraphrase of 000's first part, which republishes 002: no claim of their own
    paraphrase = [c for c in cards.values() if c.kind == "paraphrase"]
    assert paraphrase and all(not c.claims and c.duplicates for c in paraphrase)
    paras = {c.paraphrase.strip().lower() for card in cards.values() for c in card.claims}
    assert len(paras) == sum(len(card.claims) for card in cards.values())


def test_reader_comments_are_marked_as_opinion(cards):
    comments = [c for card in cards.values() for c in card.claims if "comment" in str(c.paragraph).lower()]
    assert comments and all(c.opinion for c in comments)


@pytest.mark.parametrize("path", [p for p in BUNDLED if p.parent == SCENARIOS], ids=lambda p: p.stem)
def test_bundled_scenario_is_fully_sourced(path, cards):
    doc = load_scenario(path).document
    problems = check_document(doc, claims_by_id(cards), str(path))
    assert not problems, "\n".join(map(str, problems[:20]))


def test_check_flags_a_bare_number_and_an_unknown_claim(mini, cards):
    doc = load_scenario(mini).document
    problems = check_document(doc, claims_by_id(cards), "mini")
    assert any(p.path == "actors.AAA.trust.RUS" and "no source" in p.message for p in problems)
    doc["actors"]["AAA"]["trust"]["source"] = ["no-such-claim"]
    problems = check_document(doc, claims_by_id(cards), "mini")
    assert any("unknown claim 'no-such-claim'" in p.message for p in problems)


def test_explain_names_claims_and_assumptions(mini, cards):
    doc = load_scenario(mini).document
    some_id = next(iter(claims_by_id(cards)))
    doc["actors"]["AAA"]["threat"] = {"value": 0.8, "source": [some_id]}
    doc["actors"]["AAA"]["us_reliance"] = {"value": 0.8, "assumption": "a test"}
    lines = explain(doc, "actors.AAA", cards)
    text = "\n".join(lines)
    assert "actors.AAA.threat = 0.8" in text and some_id in text and "para" in text
    assert "ASSUMPTION: a test" in text
    assert "NO SOURCE" in text  # trust is bare in the fixture


def test_entries_inherit_from_the_nearest_mapping():
    doc = {"actors": {"X": {"source": ["a"], "threat": 0.5, "trust": {"Y": 0.2, "assumption": "b"}}}}
    got = {e.path: (e.source, e.assumption) for e in entries(doc)}
    assert got["actors.X.threat"] == (("a",), None)
    assert got["actors.X.trust.Y"] == ((), "b")


def test_invalid_cards_are_reported(tmp_path):
    (tmp_path / "bad.yaml").write_text("file: x\n")
    with pytest.raises(ScenarioError):
        load_cards(tmp_path)


def test_an_override_without_its_own_provenance_is_flagged(tmp_path, cards):
    base = tmp_path / "base.yaml"
    base.write_text(
        "issues: {a: {front: central, obligor: mutual, source: [x]}}\n"
        "actors:\n  AAA: {blocs: [N], trust: {default: 0.5}, source: [x]}\n  BBB: {blocs: [N], trust: {default: 0.5}, source: [x]}\n"
        "talks: {issues: [a], source: [x]}\npact: {parties: [AAA, BBB], horizon: 20, source: [x]}\n"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\npact: {horizon: 10}\n")
    ls = load_scenario(child)
    known = {"x": ("card", next(iter(claims_by_id(cards).values()))[1])}
    problems = check_document(ls.document, known, str(child), ls.locs)
    flagged = [p for p in problems if p.path == "pact.horizon"]
    assert flagged and "overrides a value of" in flagged[0].message and flagged[0].line == 2
    assert not [p for p in problems if p.path == "pact.parties"]  # inherited untouched: still sourced


def test_validate_flags_an_unknown_claim_even_without_strict(tmp_path):
    from negsim.api import validate

    f = tmp_path / "s.yaml"
    f.write_text((ROOT / "tests" / "fixtures" / "mini.yaml").read_text())
    assert validate([str(f)]) == {str(f): []}
    f.write_text(
        f.read_text().replace("trust: {RUS: 0.4, default: 0.8}", "trust: {RUS: 0.4, default: 0.8, source: [no-such-claim]}", 1)
    )
    problems = validate([str(f)])[str(f)]
    assert problems and all("unknown claim 'no-such-claim'" in p.message for p in problems)
