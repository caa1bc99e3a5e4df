"""Bad input: every file in tests/broken/ must give a clean ScenarioError, never a traceback.

Each broken file starts with comment lines saying what is expected:

    # expect: <substring of a problem's message>     (repeatable: one per expected problem)
    # path: <the problem's path, e.g. actors.AAA.trust.RUS>   (optional, for the expect above)
    # line: <the problem's line>                     (optional, for the expect above)

``base_ok.yaml`` is a valid base (a copy of tests/fixtures/mini.yaml) that most files extend.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from negsim.errors import ScenarioError
from negsim.scenario.load import load_scenario
from negsim.scenario.yamlio import MAX_BYTES, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "broken"
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
BROKEN_FILES = sorted(p for p in BROKEN.glob("*.yaml") if p.name != "base_ok.yaml")


@dataclass
class Expect:
    message: str
    path: str | None = None
    line: int | None = None


def expectations(f: Path) -> list[Expect]:
    """The ``# expect:`` / ``# path:`` / ``# line:`` header of a broken file."""
    out: list[Expect] = []
    for raw in f.read_bytes().decode("latin-1").splitlines():
        if not raw.startswith("#"):
            break
        key, _, value = raw[1:].strip().partition(":")
        value = value.strip()
        if key == "expect":
            out.append(Expect(value))
        elif key == "path":
            out[-1].path = value
        elif key == "line":
            out[-1].line = int(value)
    assert out, f"{f.name} has no '# expect:' header"
    return out


def cli(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "negsim", *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_the_corpus_is_big_enough():
    assert len(BROKEN_FILES) >= 25
    assert load_scenario(BROKEN / "base_ok.yaml").scenario.actors  # the base itself is valid


@pytest.mark.parametrize("f", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_file_gives_a_clean_error(f):
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    problems = info.value.problems
    assert problems
    for p in problems:
        assert p.file and p.message, p
        assert "Traceback" not in p.message
    listing = "\n".join(f"  {p.path!r} line {p.line}: {p.message}" for p in problems)
    for exp in expectations(f):
        hits = [p for p in problems if exp.message in p.message]
        assert hits, f"no problem says {exp.message!r}; got:\n{listing}"
        if exp.path is not None:
            hits = [p for p in hits if p.path == exp.path]
            assert hits, f"no problem {exp.message!r} at path {exp.path!r}; got:\n{listing}"
            # a problem about a specific key points at a line
            assert all(p.line for p in hits), f"no line for {exp.path}:\n{listing}"
        if exp.line is not None:
            assert any(p.line == exp.line for p in hits), f"{exp.message!r} expected on line {exp.line}; got:\n{listing}"


def test_several_errors_are_reported_at_once():
    """Shape errors (unknown key, out of range, max_rounds 0) and reference errors (body member, issue, party) come in one pass."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(BROKEN / "many_errors.yaml")
    paths = {p.path for p in info.value.problems}
    expected = {e.path for e in expectations(BROKEN / "many_errors.yaml")}
    assert len(expected) >= 5
    assert paths == expected, sorted(paths)


def _problems(tmp_path, text: str) -> list[str]:
    """The problems of a scenario that extends tests/broken/base_ok.yaml (empty if it validates)."""
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {BROKEN / 'base_ok.yaml'}\n{text}", encoding="utf-8")
    try:
        load_scenario(f, allow_outside=True)
    except ScenarioError as e:
        return [f"{p.path}: {p.message}" for p in e.problems]
    return []


@pytest.mark.parametrize(
    "text",
    [
        "pact: {parties: [AAA, BBB, CCC]}",
        "bodies: {LITTORAL: {members: [AAA, BBB, CCC], rule: unanimity}}\npact: {parties: [RUS, LITTORAL]}",
    ],
    ids=["states-as-parties", "unanimity-body-and-a-counterpart"],
)
def test_the_two_ways_the_one_party_message_suggests_validate(tmp_path, text):
    assert _problems(tmp_path, text) == []


def test_a_state_inside_a_listed_members_body_cannot_be_a_party_too(tmp_path):
    found = _problems(tmp_path, "bodies: {LITTORAL: {members: [BBB, CCC]}}\npact: {parties: [RUS, LITTORAL, CCC]}")
    assert found == [
        "pact.parties[2]: CCC is a party and also a member of party LITTORAL, so it would vote twice (alone and inside "
        "LITTORAL); list it once: drop it from parties, or give LITTORAL a members list without it"
    ]


@pytest.mark.parametrize(
    "text, only",
    [
        ("actors: {AAA: {blocs: NATO}}", "actors.AAA.blocs: expected a list"),
        ("actors: {AAA: {region: 5}}", "actors.AAA.region: Input should be a valid string"),
        ("actors: {AAA: 5}", "actors.AAA: expected a mapping"),
        ("talks: {issues: cap}", "talks.issues: expected a list"),
        ("us_presence: [CEE]", "us_presence: expected a mapping"),
        ("bodies: {NATO: {members: NATO}}", "bodies.NATO.members"),
    ],
)
def test_a_malformed_part_gives_its_shape_error_and_no_invented_reference_errors(tmp_path, text, only):
    found = _problems(tmp_path, text)
    assert len(found) == 1 and found[0].startswith(only), found


def test_a_name_close_to_a_defined_actor_and_not_in_the_base_roster_gets_a_did_you_mean(tmp_path):
    assert _problems(tmp_path, "talks: {mediator: BBX}") == ["talks.mediator: actor 'BBX' is not defined; did you mean 'BBB'?"]


@pytest.mark.parametrize("f", BROKEN_FILES, ids=lambda p: p.stem)
def test_cli_validate_broken_file_exits_2_without_traceback(f):
    r = cli("validate", f.relative_to(ROOT))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "Traceback" not in r.stdout
    for exp in expectations(f):
        assert exp.message in r.stderr
        if exp.path:
            assert exp.path in r.stderr
    assert str(f.relative_to(ROOT)) in r.stderr or f.name in r.stderr  # names the file


def test_cli_validate_several_files_reports_each():
    files = [BROKEN / "trust_above_one.yaml", MINI, BROKEN / "nan_value.yaml"]
    r = cli("validate", *files)
    assert r.returncode == 2
    assert "trust_above_one.yaml:7: actors.AAA.trust.RUS" in r.stderr
    assert "nan_value.yaml" in r.stderr
    assert "mini.yaml: ok" in r.stdout
    assert "2 of 3" in r.stderr


def test_cli_validate_valid_file_exits_0():
    r = cli("validate", MINI)
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout
    assert r.stderr == ""


def test_cli_validate_missing_file():
    r = cli("validate", "tests/broken/there_is_no_such_file.yaml")
    assert r.returncode == 2
    assert "no such file" in r.stderr
    assert "Traceback" not in r.stderr


# --- YAML safety: quick rejection -------------------------------------------------------


@pytest.mark.parametrize("name", ["alias_bomb.yaml", "merge_key_bomb.yaml"])
def test_alias_bombs_are_rejected_quickly(name):
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="alias bomb"):
        load_scenario(BROKEN / name)
    assert time.perf_counter() - t0 < 2.0
    t0 = time.perf_counter()
    r = cli("validate", BROKEN / name)
    assert r.returncode == 2 and "alias bomb" in r.stderr
    assert time.perf_counter() - t0 < 5.0  # includes interpreter start-up


def test_multi_megabyte_file_is_rejected_quickly(tmp_path):
    big = tmp_path / "big.yaml"
    filler = "# padding padding padding padding padding padding padding padding padding\n"
    big.write_text(MINI.read_text() + filler * (3_000_000 // len(filler) + 1))
    assert big.stat().st_size > 3_000_000 > MAX_BYTES
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(big)
    assert time.perf_counter() - t0 < 2.0
    assert "limited to" in info.value.problems[0].message
    r = cli("validate", big)
    assert r.returncode == 2 and "limited to" in r.stderr and "Traceback" not in r.stderr


def test_deep_nesting_is_rejected(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("name: deep\ntitle: " + "[" * 5000 + "]" * 5000 + "\n")
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="nested deeper"):
        load_scenario(f)
    assert time.perf_counter() - t0 < 2.0


def test_python_tags_never_run(tmp_path):
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(f"name: evil\ntitle: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScenarioError, match="not allowed"):
        load_scenario(f)
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system {}",
        "a: !!python/object/new:os.system [ls]",
        "a: !!python/tuple [1, 2]",
        "a: !!set {x, y}",
        "!!python/object/apply:os.system [ls]",
        "a: !custom {x: 1}",
        "a: !custom [1]",
        "a: !custom 1",
    ],
)
def test_custom_tags_are_refused(text):
    with pytest.raises(ScenarioError, match="not allowed"):
        parse_yaml(text, "t.yaml")


def test_merge_keys_override_as_yaml_says():
    data, locs = parse_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n", "t.yaml")
    assert data["other"] == {"x": 3, "y": 2}
    assert locs[("other", "x")] == ("t.yaml", 4)


def test_control_characters_are_a_clean_error():
    with pytest.raises(ScenarioError, match="invalid YAML"):
        parse_yaml("name: \x07bell\n", "t.yaml")


def test_extends_outside_is_allowed_with_the_flag():
    # ../fixtures/mini.yaml lies outside tests/broken: refused, unless allow_outside
    f = ROOT / "tests" / "broken" / "extends_outside_tree.yaml"
    with pytest.raises(ScenarioError, match="outside"):
        load_scenario(f)
    r = cli("validate", f)
    assert r.returncode == 2 and "--allow-outside" in r.stderr


def _child_extending_outside(tmp_path):
    """sub/child.yaml, which extends ../base.yaml: a file outside its own directory."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "base.yaml").write_text(MINI.read_text())
    child = sub / "child.yaml"
    child.write_text("extends: ../base.yaml\nname: child\n")
    return child


def test_extends_outside_with_flag_reads_the_base(tmp_path):
    child = _child_extending_outside(tmp_path)
    with pytest.raises(ScenarioError, match="outside"):
        load_scenario(child)
    assert load_scenario(child, allow_outside=True).scenario.name == "child"
    assert cli("validate", child).returncode == 2
    assert cli("validate", child, "--allow-outside").returncode == 0


# --- --set overrides are validated too -----------------------------------------------------


def test_set_override_out_of_range_names_the_path():
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINI, ["actors.AAA.trust.RUS=2"])
    (p,) = info.value.problems
    assert p.file == "--set"
    assert p.path == "actors.AAA.trust.RUS"
    assert "outside the range [0, 1]" in p.message


@pytest.mark.parametrize(
    "override, expect",
    [
        ("actors.AAA.trust.RUS=2", "actors.AAA.trust.RUS"),
        ("actors.AAA.threatt=0.5", "did you mean 'threat'"),
        ("actors.AAA.threat=high", "must be a number"),
        ("talks.mediator=ZZZ", "actor 'ZZZ' is not defined"),
        ("actors.AAA.trust", "expected PATH=VALUE"),
        ("actors..trust=1", "empty path segment"),
        ("talks.issues.0.x=1", "cannot set inside a list"),
        ("name=[unclosed", "cannot read value"),
    ],
)
def test_set_overrides_are_validated(override, expect):
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINI, [override])
    assert any(expect in str(p) for p in info.value.problems), info.value


def test_cli_set_override_is_a_clean_error(tmp_path):
    out = tmp_path / "out"
    r = cli("run", MINI, "--runs", "2", "--set", "actors.AAA.trust.RUS=2", "--out", out, "--quiet")
    assert r.returncode == 2
    assert "--set: actors.AAA.trust.RUS: value 2 is outside the range [0, 1]" in r.stderr
    assert "nothing was run" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()  # validation happens before any output is written


def test_set_cannot_invent_actors_regions_or_partial_wildcards():
    from negsim.scenario.load import load_scenario

    for item, needle in (("actors.PLO.reservation=0.5", "did you mean 'POL'"), ("actors.P*.spoiler=0", "whole path segment"),
                         ("us_presence.MARS=0.5", "us_presence has no 'MARS'")):  # fmt: skip
        with pytest.raises(ScenarioError) as info:
            load_scenario(ROOT / "scenarios" / "polish_belarusian_limits.yaml", [item])
        assert needle in str(info.value), str(info.value)


def test_every_command_that_loads_a_scenario_takes_allow_outside(tmp_path):
    child = _child_extending_outside(tmp_path)
    commands = [
        ["trace", child],
        ["explain", child],
        ["table", child, "--runs", "3"],
        ["compare", child, "--set", "pact.horizon=5", "--runs", "3"],
        ["sweep", child, "-p", "pact.horizon=5,6", "--runs", "3", "-q", "--out", tmp_path / "sw"],
        ["run", child, "--runs", "3", "-q", "--out", tmp_path / "r"],
    ]
    for args in commands:
        assert cli(*args).returncode == 2, args
        r = cli(*args, "--allow-outside")
        assert r.returncode == 0, (args, r.stderr)
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["reproduce"].endswith("--allow-outside")


# --- files that are not regular files, and names no file can have (issue 13, defects 7 and 10) ---


class Overran(BaseException):
    """A block ran past its deadline (a BaseException, so no ``except OSError`` swallows it)."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (:class:`Overran`) instead of hanging when the block takes longer than ``seconds``."""

    def expired(signum, frame):
        raise Overran(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def validate_in_process(capsys, *args):
    """``negsim validate ARGS`` run in this process, for at most 5 s: (exit code, stdout, stderr)."""
    from negsim.cli import main

    try:
        with deadline(5):
            rc = main(["validate", *map(str, args)])
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def special_files(tmp_path) -> dict[str, Path]:
    """A FIFO, a symlink to /dev/zero, a symlink loop and a directory, each named like a scenario."""
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    zero, loop, folder = tmp_path / "zero.yaml", tmp_path / "loop.yaml", tmp_path / "folder.yaml"
    zero.symlink_to("/dev/zero")
    loop.symlink_to(loop)
    folder.mkdir()
    return {"a FIFO (named pipe)": fifo, "a device": zero, "symlink loop": loop, "a directory": folder}


@pytest.mark.parametrize("role", ["scenario", "extends"])
def test_special_files_are_refused_at_once(tmp_path, capsys, role):
    import tracemalloc

    for needle, special in special_files(tmp_path).items():
        target = special
        if role == "extends":
            target = tmp_path / f"child_of_{special.stem}.yaml"
            target.write_text(f"extends: {special.name}\nname: child\n")
        tracemalloc.start()
        t0 = time.perf_counter()
        rc, out, err = validate_in_process(capsys, target, "--allow-outside")  # zero.yaml resolves to /dev
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert time.perf_counter() - t0 < 2.0, needle
        assert peak < 20_000_000, (needle, peak)  # /dev/zero is never read past the size limit
        assert rc == 2 and "Traceback" not in err, err
        assert needle in err and ("not a scenario file" in err or "symlink loop" in err), err
        if role == "extends":
            assert f"{target.name}:1: extends: base file {special.name}" in err, err


def test_extends_outside_to_dev_zero_and_urandom_is_refused(tmp_path, capsys):
    for dev in ("/dev/zero", "/dev/urandom"):
        f = tmp_path / "child.yaml"
        f.write_text(f"extends: {dev}\n")
        t0 = time.perf_counter()
        rc, _, err = validate_in_process(capsys, f, "--allow-outside")
        assert time.perf_counter() - t0 < 2.0
        assert rc == 2 and f"base file {dev} is a device, not a scenario file" in err, err


def test_a_file_larger_than_it_says_is_read_only_to_the_limit(tmp_path, monkeypatch):
    """A /proc-like file reports size 0 but has more: reading stops after MAX_BYTES + 1 bytes."""
    import os

    from negsim.scenario import yamlio

    f = tmp_path / "grows.yaml"
    f.write_bytes(b"# x\n" * 100)
    real_fstat, reads = os.fstat, []
    monkeypatch.setattr(yamlio, "MAX_BYTES", 40)
    monkeypatch.setattr(yamlio.os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 0, *real_fstat(fd)[7:])))
    real_read = os.read
    monkeypatch.setattr(yamlio.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(yamlio.FileRefused, match="more than 40 bytes"):
        yamlio.read_limited(f)
    assert sum(reads) <= 41


@pytest.mark.parametrize(
    "ext, needle",
    [
        ('"x\\0"', "has a NUL character in its name"),
        ("a" * 300 + ".yaml", "has a name longer than 255 bytes"),
        ("loop.yaml", "symlink loop"),
    ],
)
def test_impossible_extends_names_are_clean_errors(tmp_path, capsys, ext, needle):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    f = tmp_path / "child.yaml"
    f.write_text(f"extends: {ext}\nname: child\n")
    rc, _, err = validate_in_process(capsys, f)
    assert rc == 2 and "Traceback" not in err
    assert "child.yaml:1: extends: base file" in err and needle in err, err
    assert len(err.strip().splitlines()) == 2, err  # the problem and the count


def test_bundled_titles_skip_a_fifo_in_scenarios(tmp_path, monkeypatch):
    import os

    from negsim import api

    (tmp_path / "scenarios").mkdir()
    os.mkfifo(tmp_path / "scenarios" / "zz_fifo.yaml")
    monkeypatch.chdir(tmp_path)
    with deadline(5):
        titles = {p.name: t for p, t in api.bundled()}
    assert titles["zz_fifo.yaml"] == "(unreadable)"


@pytest.mark.parametrize(
    "value, needle",
    [("9" * 5000, "an integer of 5,000 digits is too large a number"), ("2021-02-30", "cannot read '2021-02-30'")],
)
def test_scalars_the_constructor_cannot_make_are_problems_with_a_line(tmp_path, value, needle):
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {BROKEN / 'base_ok.yaml'}\ntitle: {value}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, allow_outside=True)
    (p,) = info.value.problems
    assert (p.path, p.line) == ("title", 2) and needle in p.message, p


# --- --set values are read as scenario files are (issue 13, defects 11 and 13) ---------------

BOMB = (
    "[&a [l,l,l,l,l,l,l,l,l,l], " + ", ".join(f"&{b} [{','.join(['*' + a] * 10)}]" for a, b in zip("abcdefgh", "bcdefghi")) + "]"
)


@pytest.mark.parametrize(
    "override, needle",
    [
        ("actors.POL.trust.RUS=" + "7" * 5000, "an integer of 5,000 digits is too large a number"),
        ("actors.POL.trust.RUS=" + "[" * 1000 + "]" * 1000, "nested deeper than 60 levels"),
        ("actors.POL.trust.RUS=" + "{a: " * 1000 + "1" + "}" * 1000, "nested deeper than 60 levels"),
        (".".join(["a"] * 2000) + "=1", "a path of 2,000 segments; scenarios nest at most 60 levels"),
        ("profiles.nato_core.blocs=" + BOMB, "alias bomb"),
        ("actors.POL.threat=!!python/object/apply:os.system [ls]", "is not allowed"),
        ("actors.POL.trust={RUS: 0.2, RUS: 0.3}", "duplicate key"),
    ],
)
def test_hostile_set_values_are_one_line_problems(override, needle):
    with pytest.raises(ScenarioError) as info:
        load_scenario(ROOT / "scenarios" / "polish_belarusian_limits.yaml", [override])
    (p,) = info.value.problems
    assert p.file == "--set" and needle in p.message, p
    assert len(str(p)) < 300  # a 5,000-digit value or a 2,000-segment path is not echoed whole


def test_a_value_and_its_path_together_stay_within_the_depth_limit():
    deep = "[" * 58 + "0.5" + "]" * 58
    with pytest.raises(ScenarioError, match="nested deeper than 60 levels"):
        load_scenario(MINI, ["actors.AAA.threat=" + deep])  # 3 segments + 58 levels


# --- what validates also samples (issue 13, defect 12) ---------------------------------------


@pytest.mark.parametrize(
    "override",
    [
        "actors.RUS.walkout.hazard={choice: [0.2, 0.3], p: [0.5, 0.5000001]}",
        "actors.RUS.walkout.hazard={choice: [0.2, 0.3], p: [0.4999995, 0.5]}",
    ],
)
def test_choice_probabilities_the_validator_accepts_can_be_drawn(override):
    from negsim.api import load
    from negsim.scenario.params import sample_many

    sc = load(MINI, [override])  # validated and compiled
    draws = {sample_many([sc.scenario.actors["RUS"].walkout.hazard], np.random.default_rng(k))[0] for k in range(50)}
    assert draws == {0.2, 0.3}


@pytest.mark.parametrize(
    "raw, lo, hi, needle",
    [
        ({"beta": {"mean": 0.5, "sd": 1e-300}}, 0.0, 1.0, "too small to draw from"),
        ({"beta": {"mean": 1e-300, "sd": 1e-301}}, 0.0, 1.0, "too small to draw from"),
        ({"uniform": [-1e308, 1e308]}, -math.inf, math.inf, "spans more than the largest number"),
        ({"choice": [0.2, 0.3], "p": [0.5, 0.5001]}, 0.0, 1.0, "sum to 1 (these sum to 1.0001)"),
    ],
)
def test_parameters_numpy_cannot_draw_are_refused(raw, lo, hi, needle):
    from negsim.scenario.params import parse_param

    with pytest.raises(ValueError, match=re.escape(needle)):
        parse_param(raw, lo, hi)


@pytest.mark.parametrize(
    "text, message",
    [
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.55, weights: {AAA: 1, BBX: 2}}}", "BBX"),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 1.5, weights: {AAA: 1}}}", "share"),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: -1}}}", "weights"),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: 0}}}", "positive weight"),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5}}", "weights"),
        (
            "talks: {issues: [cap], sequencing: parallel, counterpart: RUS}\n"
            "pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: 1}}}",
            "a weighted entry rule is for one multilateral pact",
        ),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: 1}, count: 4}}", "count 4 is more"),
        ("pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: 1, CCC: 3}}}", "could never enter"),
    ],
    ids=[
        "unknown-actor",
        "share-above-1",
        "negative-weight",
        "no-positive-weight",
        "no-weights",
        "parallel",
        "count",
        "share-unreachable",
    ],
)
def test_a_weighted_entry_rule_is_checked_with_a_clear_message(tmp_path, text, message):
    found = _problems(tmp_path, text)
    assert found and any(message in p for p in found), found
    assert (
        _problems(tmp_path, "pact: {parties: [RUS, AAA, BBB], entry_into_force: {share: 0.5, weights: {AAA: 1, BBB: 1}}}") == []
    )
