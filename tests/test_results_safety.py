"""Results safety: negsim removes or overwrites only what it wrote, never through a symlink, one writer per folder.

Each ``--out`` case of issue 13: the user's files beside results (--force keeps them; a file
negsim would need is "in the way"), symlinks, ``/``, two runs into one folder at once, a full
disk (a small tmpfs where the test can mount one, else ENOSPC simulated in this process), and
a scenario name that would place the results folder elsewhere.
"""

import builtins
import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, negsim_cmd

from negsim.cli import main
from negsim.errors import ScenarioError, UsageError
from negsim.montecarlo import folder

MINI = FIXTURES / "mini.yaml"


def cli(*args, cwd=None) -> tuple[int, str]:
    """``negsim ARGS`` in this process; (exit code, stderr). A traceback fails the test as an uncaught exception."""
    err = io.StringIO()
    here = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(here)
    return code, err.getvalue()


def refused(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for n in needles:
        assert n in err, err


def user_files(d: Path) -> dict:
    """The reproducer's folder: a user's files with negsim-like names and folders."""
    (d / "plots").mkdir(parents=True)
    (d / "parts").mkdir()
    files = {"draft.tmp": "x", "plots/fig.png": "x", "parts/ch1.txt": "x", "points.csv": "x"}
    for name, text in files.items():
        (d / name).write_text(text)
    return files


def assert_kept(d: Path, files: dict) -> None:
    for name, text in files.items():
        assert (d / name).read_text() == text, name


def checksums_match(d: Path) -> dict:
    man = json.loads((d / "manifest.json").read_text())
    for name, info in man["files"].items():
        assert hashlib.sha256((d / name).read_bytes()).hexdigest() == info["sha256"], name
    return man


# ---- defect 3: the user's files beside results --------------------------------------------------


def test_run_force_keeps_the_users_files_that_share_negsims_names(tmp_path):
    d = tmp_path / "D"
    mine = user_files(d)
    code, err = cli("run", MINI, "--runs", 5, "--out", d, "--force", "-q")
    assert code == 0, err
    assert_kept(d, mine)
    assert set(checksums_match(d)["files"]) == {"outcomes.csv", "outcomes.parquet", "summary.json", "scenario.resolved.yaml"}
    code, err = cli("run", MINI, "--runs", 5, "--out", d, "-q")  # the refusal lists negsim's files, not the user's
    refused(code, err, "already holds negsim results", "outcomes.csv")
    assert "points.csv" not in err and "draft.tmp" not in err and "plots" not in err
    assert cli("run", MINI, "--runs", 5, "--out", d, "--force", "-q")[0] == 0
    assert_kept(d, mine)


def test_a_user_file_negsim_would_write_is_in_the_way_even_with_force(tmp_path):
    d = tmp_path / "D"
    mine = user_files(d)
    code, err = cli("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", d, "--force", "-q")
    refused(code, err, "in the way", str(d / "points.csv"), str(d / "parts"), "even with --force")
    assert_kept(d, mine)
    assert not (d / "manifest.json").exists()


def test_force_removes_only_files_whose_checksum_still_matches_and_says_which_it_kept(tmp_path):
    d = tmp_path / "D"
    assert cli("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", d, "-q", "--plot")[0] == 0
    assert any(n.startswith("plots/") for n in checksums_match(d)["files"])
    (d / "points.csv").write_text("my edits\n")
    (d / "plots" / "fig.png").write_text("mine")
    code, err = cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")
    assert code == 0, err
    assert "kept" in err and "points.csv" in err  # the edited file is the user's now
    assert (d / "points.csv").read_text() == "my edits\n" and (d / "plots" / "fig.png").read_text() == "mine"
    assert not (d / "rows.csv").exists() and not (d / "rows.parquet").exists()
    assert sorted(p.name for p in (d / "plots").iterdir()) == ["fig.png"]  # negsim's plots went, the user's stayed


def test_an_edited_result_negsim_would_rewrite_is_kept_and_the_message_says_negsim_wrote_it(tmp_path):
    d = tmp_path / "D"
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0
    with open(d / "summary.json", "a") as fh:
        fh.write(" ")
    edited = (d / "summary.json").read_text()
    code, err = cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")
    refused(code, err, "summary.json", "written by negsim and edited since", "keeps it")
    assert "did not write" not in err and (d / "summary.json").read_text() == edited


def test_a_file_in_the_way_of_a_folder_without_manifest_says_so(tmp_path):
    d = tmp_path / "D"
    d.mkdir()
    (d / "summary.json").write_text("mine")
    code, err = cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")
    refused(code, err, f"{d} has no negsim manifest", "even with --force")
    assert "not in" not in err and (d / "summary.json").read_text() == "mine"


def test_plot_refusal_does_not_offer_force_which_plot_lacks(tmp_path):
    d = tmp_path / "D"
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0
    (d / "plots").mkdir()
    (d / "plots" / "outcomes.png").write_text("mine")
    code, err = cli("plot", d)
    refused(code, err, "outcomes.png", "in the way", "negsim did not write it")
    assert "--force" not in err and (d / "plots" / "outcomes.png").read_text() == "mine"


def test_a_killed_run_is_cleared_by_force_and_the_users_files_stay(tmp_path):
    d = tmp_path / "D"
    d.mkdir()
    (d / "notes.tmp").write_text("mine")
    proc = subprocess.Popen(negsim_cmd("run", MINI, "--runs", 10**6, "--out", d, "-q"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    tmp, deadline = d / "outcomes.csv.tmp", time.time() + 60
    while time.time() < deadline and not (tmp.exists() and tmp.stat().st_size > 10_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # no chance to write a final manifest
    proc.wait(timeout=30)
    assert tmp.exists() and json.loads((d / "manifest.json").read_text())["complete"] is False
    (d / "summary.json").write_text("mine\n")  # a name the killed run announced: the file is the user's, not negsim's
    for force in ((), ("--force",)):
        refused(*cli("run", MINI, "--runs", 4, "--out", d, "-q", *force), str(d / "summary.json"), "in the way")
        assert (d / "summary.json").read_text() == "mine\n" and tmp.exists()
    (d / "summary.json").unlink()
    refused(*cli("run", MINI, "--runs", 4, "--out", d, "-q"), "outcomes.csv.tmp", "--force")
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")[0] == 0
    assert not tmp.exists() and (d / "notes.tmp").read_text() == "mine"


def test_a_user_file_named_like_a_sweep_part_is_never_taken_for_one(tmp_path):
    d = tmp_path / "D"
    args = ("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 100, "--out", d, "-q")
    from negsim.montecarlo import sweep as sw

    real = sw._write_part
    calls = []

    def stop_after_two(*a):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        real(*a)

    sw._write_part = stop_after_two
    try:
        assert cli(*args)[0] == 130
    finally:
        sw._write_part = real
    sums = folder.part_sums(d)
    assert len(sums) == 2 and all(hashlib.sha256((d / "parts" / n).read_bytes()).hexdigest() == h for n, h in sums.items())
    (d / "parts" / "notes.txt").write_text("mine")  # a user's file in negsim's parts/ survives the sweep
    fake = d / "parts" / "p000001_r00000050_00000100.csv"
    fake.write_text("point\n")
    refused(*cli(*args, "--resume"), "in the way", fake.name)
    fake.unlink()
    assert cli(*args, "--resume")[0] == 0
    assert (d / "parts" / "notes.txt").read_text() == "mine" and sorted(os.listdir(d / "parts")) == ["notes.txt"]
    assert "parts" not in json.loads((d / "manifest.json").read_text())


def test_a_sweep_killed_while_it_removes_its_parts_resumes(tmp_path, monkeypatch):
    """The checksum list goes last when a finished sweep clears its parts: the parts left by a kill stay negsim's.

    (Found by test_sweep's random SIGKILLs under load: removing parts/SHA256SUMS first left parts that a
    --resume then called files in the way.)
    """
    d = tmp_path / "D"
    args = ("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 100, "--out", d, "-q")
    removed = []
    real = os.unlink

    def killed_after_two(path, *a, **kw):
        if "parts" in str(path) and len(removed) == 2:
            raise KeyboardInterrupt
        removed.append(Path(path).name)
        real(path, *a, **kw)

    monkeypatch.setattr(folder.os, "unlink", killed_after_two)
    assert cli(*args)[0] == 130
    monkeypatch.setattr(folder.os, "unlink", real)
    assert "SHA256SUMS" not in removed and (d / "parts" / "SHA256SUMS").exists()
    assert cli(*args, "--resume")[0] == 0
    assert not (d / "parts").exists() and "parts" not in json.loads((d / "manifest.json").read_text())


def test_a_manifest_never_makes_negsim_remove_a_file_outside_the_folder(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    d = tmp_path / "D"
    d.mkdir()
    sha = hashlib.sha256(b"mine").hexdigest()
    bad = {"../victim.txt": {"sha256": sha}, str(victim): {"sha256": sha}, "plots/../../victim.txt": {"sha256": sha}}
    (d / "manifest.json").write_text(json.dumps({"kind": "run", "negsim_version": "0", "files": bad}))
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")[0] == 0
    assert victim.read_text() == "mine"


# ---- defect 4: symlinks and system folders --------------------------------------------------------


def test_no_write_follows_a_symlink_planted_in_the_folder(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("secret")
    d = tmp_path / "D"
    d.mkdir()
    os.symlink(victim, d / ".negsim-write-test")
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0
    for name in ("summary.json.tmp", "manifest.json.tmp", "outcomes.csv.tmp"):
        e = tmp_path / name.replace(".", "_")
        e.mkdir()
        os.symlink(victim, e / name)
        refused(*cli("run", MINI, "--runs", 4, "--out", e, "-q", "--force"), "in the way", name)
    assert victim.read_text() == "secret"


def test_an_atomic_write_never_opens_a_symlink_at_its_temporary_name(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("secret")
    from negsim.montecarlo.folder import write_result as _atomic_write

    os.symlink(victim, tmp_path / "out.json.tmp")
    with pytest.raises(OSError, match="in the way"):
        _atomic_write(tmp_path / "out.json", "{}")
    assert victim.read_text() == "secret" and not (tmp_path / "out.json").exists()


def test_plots_never_go_through_a_symlinked_plots_folder(tmp_path):
    d, elsewhere = tmp_path / "D", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert cli("run", MINI, "--runs", 20, "--out", d, "-q")[0] == 0
    os.symlink(elsewhere, d / "plots")
    refused(*cli("plot", d), "in the way", "plots")
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize("where", ["/", "home"])
def test_a_system_root_or_the_home_folder_is_refused(tmp_path, monkeypatch, where):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    out = "/" if where == "/" else str(home)
    # a safety net, should the check ever regress: nothing may be created directly in / by this test
    real_open = os.open

    def guarded_open(path, flags, *a, **k):
        if Path(os.fspath(path)).parent == Path("/") and flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "the test forbids writing into /", str(path))
        return real_open(path, flags, *a, **k)

    real_builtin_open = builtins.open

    def guarded_builtin_open(file, mode="r", *a, **k):
        if isinstance(file, str | os.PathLike) and Path(os.fspath(file)).parent == Path("/") and set(mode) & set("wax+"):
            raise PermissionError(13, "the test forbids writing into /", str(file))
        return real_builtin_open(file, mode, *a, **k)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(builtins, "open", guarded_builtin_open)
    refused(*cli("run", MINI, "--runs", 4, "--out", out, "-q"), "--out")
    assert not list(home.iterdir()) and not Path("/outcomes.csv").exists()


# ---- concurrent runs into one folder --------------------------------------------------------------


def test_a_folder_another_command_is_writing_is_refused(tmp_path):
    d = tmp_path / "D"
    d.mkdir()

    @folder.releases_locks
    def held():
        folder.lock(d)
        return cli("run", MINI, "--runs", 4, "--out", d, "-q")

    refused(*held(), "in use")
    assert not os.listdir(d)
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0  # the lock went with the command


def test_two_runs_started_at_once_into_one_folder_one_wins_the_other_refuses(tmp_path):
    d = tmp_path / "D"
    procs = [subprocess.Popen(negsim_cmd("run", MINI, "--runs", 800, "--seed", s, "--out", d, "-q"), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in (1, 2)]  # fmt: skip
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert sorted(r[0] for r in results) == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "Traceback" not in loser and ("in use" in loser or "already holds" in loser), loser
    winner = 1 + [r[0] for r in results].index(0)
    man = checksums_match(d)
    assert man["seed"] == winner and man["complete"] and man["runs_completed"] == 800
    rows = list(csv.DictReader(open(d / "outcomes.csv")))
    assert [int(r["replicate"]) for r in rows] == list(range(800)) and {r["seed"] for r in rows} == {str(winner)}


# ---- defect 5: a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 100 kB tmpfs (root only); skipped with the reason where it cannot be mounted."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", str(mnt)], capture_output=True, text=True)
    except OSError as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def whole_rows_named(err: str) -> tuple[Path, int]:
    """The file and row count a full-disk message names; checks the file holds exactly those whole rows."""
    words = err.split()
    path = Path(next(w for w in words if w.endswith(("outcomes.csv", "outcomes.csv.tmp"))))
    n = int(words[words.index("whole") - 1].replace(",", ""))
    rows = list(csv.DictReader(open(path, newline="")))
    assert [int(r["replicate"]) for r in rows] == list(range(n))
    assert path.read_bytes().endswith(b"\n") and all(len(r) == len(rows[0]) and None not in r.values() for r in rows)
    return path, n


def test_run_on_a_full_disk_keeps_whole_rows_and_names_their_file(small_disk):
    d = small_disk / "D"
    code, err = cli("run", MINI, "--runs", 5000, "--out", d, "-q")
    refused(code, err, "No space left", "whole rows")
    path, n = whole_rows_named(err)
    assert path.exists() and 0 < n < 5000


def test_run_with_enospc_mid_row_keeps_whole_rows(tmp_path, monkeypatch):
    from negsim.montecarlo.runner import CSVRows

    real = CSVRows.write

    def write(self, row):
        if self.count == 37:  # half a row reaches the disk, then it is full
            self.fh.write("37,0,Tr")
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, row)

    monkeypatch.setattr(CSVRows, "write", write)
    d = tmp_path / "D"
    code, err = cli("run", MINI, "--runs", 200, "--out", d, "-q")
    refused(code, err, "No space left", str(d / "outcomes.csv"))
    assert whole_rows_named(err) == (d / "outcomes.csv", 37)
    man = checksums_match(d)
    assert man["complete"] is False and man["runs_completed"] == 37 and man["files"]["outcomes.csv"]["rows"] == 37
    assert not (d / "summary.json").exists() and not (d / "outcomes.csv.tmp").exists()


def test_sweep_on_a_full_disk_is_a_clear_error_and_resumes(small_disk):
    d = small_disk / "S"
    code, err = cli("sweep", MINI, "-p", "pact.horizon=5,6,7,8", "--runs", 1000, "--out", d, "-q")
    refused(code, err, "No space left", "--resume")
    assert not [f for f in os.listdir(d / "parts") if f.endswith(".tmp")]
    for name, sha in folder.part_sums(d).items():
        if (d / "parts" / name).exists():
            assert hashlib.sha256((d / "parts" / name).read_bytes()).hexdigest() == sha


def test_sweep_with_enospc_writing_a_part_is_a_clear_error(tmp_path, monkeypatch):
    from negsim.montecarlo import sweep as sw

    real, calls = sw.os.fsync, []

    def fsync(fd):  # the second part file's fsync fails
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".csv.tmp"):
            calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(sw.os, "fsync", fsync)
    d = tmp_path / "S"
    refused(*cli("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 200, "--out", d, "-q"), "No space left", "--resume")
    monkeypatch.undo()
    assert not [f for f in os.listdir(d / "parts") if f.endswith(".tmp")]
    assert cli("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 200, "--out", d, "-q", "--resume")[0] == 0


def test_compare_on_a_full_disk_is_a_clear_error(small_disk):
    d = small_disk / "C"
    code, err = cli("compare", MINI, "--set", "pact.horizon=5", "--runs", 500, "-q", "--out", d)
    refused(code, err, "No space left")
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")]


def test_compare_with_enospc_names_what_it_kept(tmp_path, monkeypatch):
    import negsim.report.plots

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(negsim.report.plots, "plot_compare", full)
    d = tmp_path / "C"
    code, err = cli("compare", MINI, "--set", "pact.horizon=5", "--runs", 20, "-q", "--out", d)
    refused(code, err, "No space left", "outcomes_a.csv, outcomes_b.csv, comparison.json")
    assert json.loads((d / "manifest.json").read_text())["complete"] is False
    monkeypatch.undo()
    assert cli("compare", MINI, "--set", "pact.horizon=5", "--runs", 20, "--out", d, "--force")[0] == 0


# ---- compare gets a manifest ---------------------------------------------------------------------------


def test_compare_writes_a_manifest_with_checksums_and_a_reproduce_command(tmp_path):
    d = tmp_path / "C"
    assert cli("compare", MINI, "--set", "pact.horizon=5", "--runs", 20, "--seed", 3, "--out", d)[0] == 0
    man = checksums_match(d)
    assert man["kind"] == "compare" and man["complete"] and set(man["files"]) == {
        "outcomes_a.csv", "outcomes_b.csv", "comparison.json", "comparison.png"}  # fmt: skip
    assert man["reproduce"].startswith("negsim compare ") and "--set pact.horizon=5 --runs 20 --seed 3" in man["reproduce"]
    assert not list(d.glob("*.tmp"))


# ---- defect 6: the scenario's name places the results folder ----------------------------------------


@pytest.mark.parametrize("name", ['"../../escape_dir"', "/tmp/negsim-escape", '"a\\0b"', ".hidden", "a/b"])
def test_a_scenario_name_that_is_not_a_plain_name_is_refused_with_its_line(tmp_path, name):
    text = MINI.read_text().replace("name: mini", f"name: {name}")
    (tmp_path / "x.yaml").write_text(text)
    code, err = cli("run", tmp_path / "x.yaml", "--runs", 4, "-q", cwd=tmp_path)
    assert code == 2 and "Traceback" not in err and "x.yaml:2: name:" in err and "plain name" in err, err
    assert not (tmp_path / "results").exists() and not Path("/tmp/negsim-escape").exists()


@pytest.mark.parametrize("name", ["../escape", "/abs", "a\0b", "", ".x"])
def test_new_out_dir_never_leaves_results(tmp_path, monkeypatch, name):
    from negsim.montecarlo.outdir import new_out_dir

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="pass --out"):
        new_out_dir(name)
    assert not list(tmp_path.iterdir())


def test_the_schema_accepts_plain_names():
    from negsim.api import load

    assert load(MINI, ["name=mini-2.v3_x"]).name == "mini-2.v3_x"
    with pytest.raises(ScenarioError, match="plain name"):
        load(MINI, ["name=../up"])


# ---- every file negsim writes is recorded before its rename; older manifests --------------------


def interrupted_sweep(d: Path, parts: int = 2) -> tuple:
    """A sweep stopped after ``parts`` part files, as a kill leaves it; returns its arguments."""
    from negsim.montecarlo import sweep as sw

    args = ("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 100, "--out", d, "-q")
    real, calls = sw._write_part, []

    def stop(*a):
        calls.append(1)
        if len(calls) > parts:
            raise KeyboardInterrupt
        real(*a)

    sw._write_part = stop
    try:
        assert cli(*args)[0] == 130
    finally:
        sw._write_part = real
    return args


def test_a_killed_sweeps_announced_names_never_claim_the_users_files(tmp_path):
    d = tmp_path / "D"
    args = interrupted_sweep(d)
    (d / "points.csv").write_text("mine\n")
    (d / "rows.csv").write_text("mine\n")
    for more in ("--resume", "--force"):
        refused(*cli(*args, more), "in the way", str(d / "points.csv"), str(d / "rows.csv"))
        assert (d / "points.csv").read_text() == "mine\n" and (d / "rows.csv").read_text() == "mine\n"
    (d / "points.csv").unlink()
    (d / "rows.csv").unlink()
    assert cli(*args, "--resume")[0] == 0
    checksums_match(d)


def test_each_result_file_is_listed_with_its_checksum_before_its_rename(tmp_path, monkeypatch):
    d = tmp_path / "D"
    real, seen = os.replace, []

    def replace(src, dst):
        src, dst = Path(src), Path(dst)
        if dst.parent in (d, d / "plots") and dst.name != "manifest.json":
            files = json.loads((d / "manifest.json").read_text())["files"]
            name = dst.relative_to(d).as_posix()
            assert files[name]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest(), name
            seen.append(name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0
    assert cli("plot", d)[0] == 0
    assert cli("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", tmp_path / "S", "-q")[0] == 0
    assert {"outcomes.csv", "summary.json", "scenario.resolved.yaml", "plots/outcomes.png"} <= set(seen)


def test_a_plot_interrupted_partway_leaves_only_files_negsim_can_clear(tmp_path, monkeypatch):
    from negsim.report import plots

    d = tmp_path / "D"
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "_fig_survival", interrupted)  # killed after outcomes.png
    with pytest.raises(KeyboardInterrupt):
        plots.plot(d)
    monkeypatch.undo()
    assert (d / "plots" / "outcomes.png").exists() and not (d / "plots" / "survival.png").exists()
    assert "plots/outcomes.png" in checksums_match(d)["files"]
    code, err = cli("plot", d)
    assert code == 0, err
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")[0] == 0
    assert not (d / "plots").exists()


def old_layout(d: Path, files: tuple) -> None:
    """Rewrite a folder's manifest as the older negsim wrote it: no layout, writing or parts; ``files`` listed."""
    man = json.loads((d / "manifest.json").read_text())
    for key in ("layout", "writing", "parts", "files"):
        man.pop(key, None)
    if files:
        man["files"] = {n: {"sha256": hashlib.sha256((d / n).read_bytes()).hexdigest()} for n in files}
    (d / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
    with contextlib.suppress(FileNotFoundError):
        (d / "parts" / "SHA256SUMS").unlink()


def test_an_old_finished_run_is_replaced_by_force(tmp_path):
    d = tmp_path / "D"
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q")[0] == 0
    (d / "outcomes.parquet").unlink()  # the older negsim wrote no Parquet copy
    old_layout(d, ("outcomes.csv", "summary.json", "scenario.resolved.yaml"))
    (d / "notes.txt").write_text("mine")
    refused(*cli("run", MINI, "--runs", 4, "--out", d, "-q"), "already holds negsim results")
    assert cli("run", MINI, "--runs", 4, "--out", d, "-q", "--force")[0] == 0
    assert (d / "notes.txt").read_text() == "mine"


def test_an_old_finished_sweep_is_replaced_by_force(tmp_path):
    d = tmp_path / "D"
    args = ("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", d, "-q")
    assert cli(*args)[0] == 0
    table = "rows.parquet" if (d / "rows.parquet").exists() else "rows.csv"
    old_layout(d, (table, "points.csv"))  # the old negsim did not list scenario.resolved.yaml
    code, err = cli(*args, "--force")
    assert code == 0, err
    checksums_match(d)


@pytest.mark.parametrize("more", ["--resume", "--force"])
def test_an_old_interrupted_sweep_resumes_or_starts_over(tmp_path, more):
    d = tmp_path / "D"
    args = interrupted_sweep(d)
    old_layout(d, ())
    (d / "parts" / "notes.txt").write_text("mine")
    fake = d / "parts" / "p000001_r00000050_00000100.csv"
    fake.write_text("not a part\n")  # named like a part, but not outcome rows: the user's
    refused(*cli(*args, more), "in the way", fake.name)
    fake.unlink()
    code, err = cli(*args, more)
    assert code == 0, err
    man = checksums_match(d)
    assert man["complete"] is True and man["rows"] == 200
    assert sorted(os.listdir(d / "parts")) == ["notes.txt"] and (d / "parts" / "notes.txt").read_text() == "mine"


def test_the_run_table_is_written_through_the_file_negsim_created(tmp_path, monkeypatch):
    from negsim import api

    opened = []
    real_open = builtins.open

    def watch(file, mode="r", *a, **k):
        if str(file).endswith("outcomes.csv.tmp") and "w" in mode:
            opened.append(file)
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", watch)
    d = tmp_path / "D"
    assert api.run(MINI, runs=4, out=d, progress=False).complete
    assert opened == []  # never reopened by name after it was created with O_EXCL | O_NOFOLLOW
