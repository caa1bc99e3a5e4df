"""Every number in a bundled scenario has a source claim that speaks about it or a stated assumption."""

import contextlib
import io

import pytest
from conftest import ROOT, SCENARIOS

from negsim.errors import ScenarioError
from negsim.scenario.load import load_scenario
from negsim.scenario.provenance import Claim, check_document, claims_by_id, entries, explain, load_cards

BUNDLED = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "base").glob("*.yaml"))
#: the source documents: ../shared/seeds next to the checkout (CI), or two levels up for a git worktree in ../wt/
SHARED_SEEDS = next(
    (d for d in (ROOT.parent / "shared" / "seeds", ROOT.parent.parent / "shared" / "seeds") if d.is_dir()),
    ROOT.parent / "shared" / "seeds",
)


@pytest.fixture(scope="module")
def cards():
    return load_cards()


def _known(**about):
    """Claims by id for hand-made documents: ``x=["actors.*.threat"]`` makes claim x speak about that."""
    return {cid: ("card", Claim(id=cid, paraphrase=cid, paragraph=1, about=pats)) for cid, pats in about.items()}


def _cli(*args, cwd=None):
    """negsim's exit code and stderr, run in this process."""
    import os

    from negsim.cli import main

    err, old = io.StringIO(), os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([str(a) for a in args])
    finally:
        os.chdir(old)
    return code, err.getvalue()


def test_cards_load_and_claim_ids_are_unique(cards):
    assert len(cards) == 7  # five source documents, the public statistics and the historical record
    ids = [c.id for card in cards.values() for c in card.claims]
    assert len(ids) == len(set(ids)) and len(ids) >= 40


def test_every_source_document_has_a_card(cards):
    files = {card.file for card in cards.values()}
    expected = {p.name for p in SHARED_SEEDS.glob("0*.txt")} if SHARED_SEEDS.is_dir() else files
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


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_is_fully_sourced(path, cards):
    # what `negsim validate --strict` checks: every value covered, every citation speaking about a value
    ls = load_scenario(path)
    problems = check_document(ls.document, claims_by_id(cards), str(path), ls.locs)
    assert not problems, "\n".join(map(str, problems[:20]))
    assert not check_document(ls.document, claims_by_id(cards), str(path))  # the same without line numbers


def test_validate_strict_passes_on_every_bundled_scenario():
    code, err = _cli("validate", "--strict", *BUNDLED)
    assert code == 0, err


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_cited_claim_speaks_about_the_value_it_supports(path, cards):
    known = claims_by_id(cards)
    for e in entries(load_scenario(path).document, known):
        assert all(known[s][1].speaks_about(e.key) for s in e.source), (e.path, e.source)


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
    got = {e.path: (e.source, e.assumption) for e in entries(doc, _known(a=["actors.*.threat", "actors.*.trust"]))}
    assert got["actors.X.threat"] == (("a",), None)
    assert got["actors.X.trust.Y"] == ((), "b")


def test_a_claim_supports_only_the_values_it_speaks_about():
    # defect 15: a source on an actor used to cover every value below it, population included
    doc = {"actors": {"X": {"source": ["a", "pop"], "assumption": "judged", "population": 2.9, "threat": 0.5, "spoiler": 0.1}}}
    known = _known(a=["actors.*.threat"], pop=["actors.*.population"])
    got = {e.path: (e.source, e.assumption) for e in entries(doc, known)}
    assert got["actors.X.population"] == (("pop",), "judged")
    assert got["actors.X.threat"] == (("a",), "judged")
    assert got["actors.X.spoiler"] == ((), "judged")  # no claim speaks about it: only the assumption
    del doc["actors"]["X"]["assumption"]
    problems = check_document(doc, known, "f")
    assert [p.path for p in problems] == ["actors.X.spoiler"] and "no source that speaks about it" in problems[0].message


def test_an_actors_own_value_in_a_profile_mapping_rests_on_the_actor_not_the_profile(tmp_path):
    # a profile's provenance goes onto each of its values, so ROU's own black_sea_limits position
    # is not explained by the nato_frontline profile's assumption
    f = tmp_path / "p.yaml"
    f.write_text(
        (ROOT / "tests" / "fixtures" / "mini.yaml")
        .read_text()
        .replace("actors:\n", 'profiles:\n  p: {positions: {cap: 0.1, hotline: 0.9}, assumption: "profile guess"}\nactors:\n', 1)
        .replace("  AAA:\n", '  AAA:\n    profile: p\n    assumption: "AAA guess"\n', 1)
        .replace("positions: {cap: 0.2, withdraw: 1.0, hotline: 1.0}", "positions: {cap: 0.2, withdraw: 1.0}", 1)
    )
    got = {e.path: e.assumption for e in entries(load_scenario(f).document, {})}
    assert got["actors.AAA.positions.hotline"] == "profile guess"  # the profile's value
    assert got["actors.AAA.positions.cap"] == "AAA guess"  # the actor's own


def test_a_profile_citation_is_checked_once_at_the_profile(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(
        (ROOT / "tests" / "fixtures" / "mini.yaml")
        .read_text()
        .replace("actors:\n", 'profiles:\n  p: {threat: 0.5, source: [a, b], assumption: "guess"}\nactors:\n', 1)
        .replace("  AAA:\n", "  AAA:\n    profile: p\n", 1)
        .replace("  BBB:\n", "  BBB:\n    profile: p\n", 1)
        .replace("    threat: 0.8\n", "", 1)
    )
    ls = load_scenario(f)
    known = _known(a=["actors.AAA.threat"], b=["actors.*.spoiler"])  # a speaks about one user's value, b about none
    problems = [p for p in check_document(ls.document, known, str(f), ls.locs) if "speaks about no value" in p.message]
    line = f.read_text().splitlines().index('  p: {threat: 0.5, source: [a, b], assumption: "guess"}') + 1
    assert [(p.path, p.line) for p in problems] == [("profiles.p", line)] and "'b'" in problems[0].message
    got = {e.path: e.source for e in entries(ls.document, known)}
    assert got["actors.AAA.threat"] == ("a",) and got["actors.BBB.threat"] == ()


def test_patterns_name_keys_alternatives_and_wildcards():
    c = Claim(id="c", paraphrase="c", paragraph=1, about=["actors.POL|LTU.trust.RUS", "events.*.set.us_presence"])
    assert c.speaks_about(("actors", "LTU", "trust", "RUS")) and not c.speaks_about(("actors", "LVA", "trust", "RUS"))
    assert not c.speaks_about(("actors", "POL", "trust", "BLR")) and not c.speaks_about(("actors", "POL"))
    assert c.speaks_about(("events", 0, "set", "us_presence.CEE"))
    with pytest.raises(ValueError):
        Claim(id="c", paraphrase="c", paragraph=1, about=["actors POL"])


def test_a_citation_that_speaks_about_nothing_under_it_is_flagged():
    doc = {"actors": {"X": {"source": ["a"], "assumption": "judged", "population": 2.9}}}
    problems = check_document(doc, _known(a=["actors.*.threat"]), "f")
    assert len(problems) == 1 and problems[0].path == "actors.X" and "speaks about no value here" in problems[0].message
    assert not check_document(doc, _known(a=["actors.*.threat"]), "f", citations_only=True)


def test_the_ltu_population_rests_on_the_population_card_not_on_opinion():
    lines = explain(load_scenario(SCENARIOS / "polish_belarusian_limits.yaml").document, "actors.LTU.population")
    text = "\n".join(lines)
    assert lines[0] == "actors.LTU.population = 2.89" and "wb-population-2024" in text and "public source" in text
    assert "comment-hardline-axis" not in text and "russtrat-border-strip-scope" not in text


def test_sources_counts_are_those_of_the_values_a_claim_speaks_about():
    from negsim.api import sources

    lines = sources()
    count = {ln.split()[0]: int(ln.split("supports")[1].split()[0]) for ln in lines if "supports" in ln}
    # it speaks about the 1997 rollback: the issue and each NATO member's position and red line
    assert 30 < count["lanoszka-1997-posture-absurd"] < 100  # was 8,676 (every value of every NATO member)
    assert count["comment-hardline-axis"] <= 5 * 4 and count["wb-population-2024"] == 35


def test_a_top_level_assumption_is_inherited():
    # defect 19: the document is the outermost mapping, as docs/scenario-language.md says
    doc = {"assumption": "all judged", "actors": {"X": {"threat": 0.5, "spoiler": {"value": 0.1, "assumption": "own"}}}}
    got = {e.path: e for e in entries(doc, {})}
    assert got["actors.X.threat"].assumption == "all judged" and got["actors.X.threat"].via == " (via the top level)"
    assert got["actors.X.spoiler"].assumption == "own"
    assert "    ASSUMPTION (via the top level): all judged" in explain(doc, "actors.X.threat", cards={})


def test_a_top_level_assumption_of_a_base_does_not_cover_an_override(tmp_path):
    (tmp_path / "base.yaml").write_text((ROOT / "tests" / "fixtures" / "mini.yaml").read_text() + 'assumption: "base guesses"\n')
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\npact: {horizon: 5}\n")
    ls = load_scenario(child)
    problems = check_document(ls.document, {}, str(child), ls.locs)
    assert [p.path for p in problems] == ["pact.horizon"] and "the assumption on the top level was written in" in problems[
        0
    ].message


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("    salience: {source: 0.5}\n", "source must be a claim id or a list of claim ids, not 0.5"),
        ("    salience: {cap: 0.6, source: [1, 2]}\n", "source must be a claim id or a list of claim ids"),
        ("    trust: {RUS: 0.4, assumption: 3}\n", "assumption must be a sentence in quotes, not 3"),
    ],
)
def test_malformed_provenance_is_a_one_line_error_with_its_line(tmp_path, snippet, needle):
    # defect 9: `salience: {source: 0.5}` inside an actor raised a TypeError in validate
    text = (ROOT / "tests" / "fixtures" / "mini.yaml").read_text()
    lines = text.splitlines(keepends=True)
    at = lines.index("  BBB:\n")
    key = snippet.split(":")[0].strip()
    lines = [ln for i, ln in enumerate(lines) if not (at < i < at + 9 and ln.strip().startswith(key + ":"))]
    lines.insert(at + 1, snippet)
    f = tmp_path / "s.yaml"
    f.write_text("".join(lines))
    line = lines.index(snippet) + 1
    for args in (["validate", f], ["validate", "--strict", f], ["explain", f]):
        code, err = _cli(*args)
        assert code == 2, (args, err)
        first = err.strip().splitlines()[0]
        assert f"s.yaml:{line}: actors.BBB." in first and needle in first and "Traceback" not in err, err


def test_a_card_whose_claim_names_an_unknown_parameter_is_reported(tmp_path):
    card = (
        "file: x.txt\ntitle: t\nkind: analysis\nclaims:\n"
        "  - {id: c, paraphrase: p, paragraph: 1, about: ['actors.*.trust.RUS', 'actors.*.popluation']}\n"
    )
    (tmp_path / "c.yaml").write_text(card)
    with pytest.raises(ScenarioError, match="names no parameter \\(Actor has no 'popluation'\\)"):
        load_cards(tmp_path)
    (tmp_path / "c.yaml").write_text(card.replace("popluation", "population").replace("file: x.txt\n", ""))
    with pytest.raises(ScenarioError, match="names its file"):
        load_cards(tmp_path)  # only a public_statistics card may have no file


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
    known = _known(x=["issues", "actors", "talks", "pact"])
    problems = check_document(ls.document, known, str(child), ls.locs)
    flagged = [p for p in problems if p.path == "pact.horizon"]
    assert flagged and flagged[0].line == 2
    assert f"set in {child}, but the source on pact was written in {base} for other values" in flagged[0].message
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


def test_copied_runs_finds_a_shared_run_of_nine_words_and_spares_titles():
    from negsim.scenario.provenance import copied_runs

    doc = {"d.txt": "A Title Of Nine Words Is Quoted Here Fine Ok\n\nthe quick brown fox jumps over the lazy dog today.\n"}
    assert copied_runs("He said: The quick brown fox jumps over the lazy dog today!", doc) == [
        ("d.txt", "the quick brown fox jumps over the lazy dog today")
    ]
    assert copied_runs("the quick brown fox jumps over the lazy cat", doc) == []  # eight shared words
    assert copied_runs("title: a title of nine words is quoted here fine ok", doc) == []


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="the source documents (../shared/seeds) are not next to this checkout")
@pytest.mark.parametrize(
    "path",
    sorted(SCENARIOS.glob("**/*.yaml")) + sorted((ROOT / "seeds").glob("*.yaml")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_prose_copies_nine_words_from_a_source_document(path):
    # defect 21: our cards and scenarios paraphrase; only document titles may be quoted whole
    from negsim.scenario.provenance import copied_runs

    documents = {p.name: p.read_text(encoding="utf-8") for p in sorted(SHARED_SEEDS.glob("*.txt"))}
    runs = copied_runs(path.read_text(encoding="utf-8"), documents)
    assert not runs, "\n".join(f"{name}: {run}" for name, run in runs)
