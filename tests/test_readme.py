"""The README's quick start: exactly two commands, and the first one's run works."""

import re
import shlex

from conftest import ROOT


def quick_start_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_quick_start_has_exactly_two_commands():
    cmds = quick_start_commands()
    assert len(cmds) == 2, cmds
    assert "negsim run" in cmds[0] and "pip install -e ." in cmds[0]
    assert "pytest" in cmds[1] and "[test]" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci


def sample_output() -> tuple[str, str]:
    """The README's sample run: the command after its ``$ `` prompt, and the text shown under it."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## What a run tells you", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 2)[1]
    prompt, _, shown = block.partition("\n")
    assert prompt.startswith("$ "), prompt
    return prompt[2:], shown


RESULTS_STAMP = re.compile(r"(results/[\w-]+)-\d{8}-\d{6}/")


def test_readme_sample_is_what_the_quick_start_prints(tmp_path, monkeypatch, capsys):
    # defect 17: the README showed other numbers (another seed) and fewer lines than the quick
    # start prints; the sample's command is the quick start's, and its text is that command's
    # output, but for the time in the results folder's name
    from negsim.cli import main

    command, shown = sample_output()
    assert command == quick_start_commands()[0].split("&&")[-1].strip()
    args = shlex.split(command)
    assert re.search(r"negsim$", args[0])
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    assert main(args[1:]) == 0
    printed = capsys.readouterr().out
    assert RESULTS_STAMP.sub(r"\1-TIME/", printed) == RESULTS_STAMP.sub(r"\1-TIME/", shown)
    assert list((tmp_path / "results").glob("*/outcomes.csv"))


def test_readme_table_is_reproduced_by_its_command():
    # defect 17: table and run had different default seeds; the table's footnote gives its
    # command, whose seed is run's default, so `negsim run NAME` prints the table's numbers
    from negsim.cli import _parser

    text = (ROOT / "README.md").read_text()
    footnote = re.search(r"regenerate with `(negsim table [^`]+)`", text).group(1)
    table = _parser().parse_args(shlex.split(footnote)[1:])
    run = _parser().parse_args(["run", "x"])
    assert table.seed == run.seed and table.runs == run.runs
    assert _parser().parse_args(["table", "x"]).seed == run.seed  # and so are the defaults
    assert f"replicates per scenario, seed {table.seed};" in text
    row = next(line for line in text.splitlines() if line.startswith("| `polish_belarusian_limits` |"))
    _, shown = sample_output()
    agreement = re.search(r"P\(agreement\)\s+([\d.]+%)\s+95% CI \[([\d.]+%), ([\d.]+%)\]", shown).groups()
    assert f"| {agreement[0]} [{agreement[1]}, {agreement[2]}] |" in row


def test_readme_commands_exist():
    from negsim.cli import _parser

    text = (ROOT / "README.md").read_text()
    sub = _parser()._subparsers._group_actions[0].choices
    for cmd in set(re.findall(r"`negsim (\w+)", text)):
        assert cmd in sub, f"README mentions `negsim {cmd}`, which does not exist"
