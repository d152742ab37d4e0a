#!/usr/bin/python3
"""calibrate_mpi.py RAPPORT_BIN SRC_DIR - calibrations over real MPI ranks (issue 15).

ABC-SMC: the known-posterior calibration (tests/abc/known-posterior.yaml)
made small: 125 particles to the tolerance 1 (about 1 s on one core), so that
the blocks of slots are uneven at 2 and 3 ranks (62 + 63, 41 + 42 + 42), and
a larger one of 200 particles to the tolerance 0.5 (about 2 s) for the stops.
With real `mpirun` (Open MPI: --oversubscribe, and root allowed, as
tests/sweep_runs.sh):
1. `mpirun -n 2` (1 thread each), `-n 2 --threads 2` and `-n 3` write the
   posterior file of one process bit for bit (tests/h5_same.py: every
   dataset, i.e. particles, weights, distances, simulated targets, per
   generation tolerances, attempts, simulations, acceptance, ESS, and every
   attribute but those of the process: threads, ranks, command_line,
   write_time, seconds, host); the `ranks` attribute says 2 or 3 (1 in one
   process); stdout is the one report of one process (but its wall seconds
   and the file's name), printed once.
2. SIGUSR1 to rank 1 alone (the other rank sees no signal) once generation 2
   is checkpointed: every rank stops (exit 75), one `rapport:` line naming
   --resume, the file a checkpoint (complete 0, no /posterior); `--resume` in
   one process ends with the uninterrupted file.
3. Rank 1 killed (SIGKILL) once generation 2 is checkpointed: the job fails,
   the file at the path is still a checkpoint (never complete), and
   `--resume` on 3 ranks ends with the uninterrupted file.
Nelder-Mead (a tiny fit of dropout.base, 3 replicates, 1,000 patients, with
its identification):
4. at 2 ranks (replicates 1 + 2), 2 ranks x 2 threads and 3 ranks: the JSON
   report of one process (but its seconds, threads and the -o name), the same
   calibrated scenario; at 2 ranks the text report too, printed once;
5. SIGTERM to rank 1 alone in a longer fit: exit 130, one line, no -o file.
6. A file that does not exist: the exit code and the one line of one process
   (the ranks agree, rank 0 prints); `--resume` of a posterior file that one
   rank does not see (MPMD: rank 1 is given another path): exit 2, one line,
   the file untouched.
Skipped (exit 77) when the binary is not an MPI build or there is no mpirun.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, report, skip_test  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
try:
    import h5py
except ImportError:  # pragma: no cover - environment
    skip_test("no h5py (Debian: python3-h5py)")
ldd = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
if "libmpi" not in ldd:
    skip_test(f"{BIN} is not an MPI build (no libmpi in ldd)")
try:
    version = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout
except FileNotFoundError:
    skip_test("no mpirun (Debian: openmpi-bin)")

SAME = f"{SRC}/tests/h5_same.py"
PROCESS_ATTRS = "threads,ranks,command_line,write_time,seconds,host"
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
OVERSUBSCRIBE = ["--oversubscribe"] if "Open MPI" in version else []
tmp = tempfile.mkdtemp(prefix="abc_mpi.")
base = open(f"{SRC}/tests/abc/known-posterior.yaml", encoding="utf-8").read()
base = base.replace("scenario: constant-hazard.yaml", f"scenario: {SRC}/tests/abc/constant-hazard.yaml")


def calibration(name, particles, tolerance):
    path = f"{tmp}/{name}.yaml"
    text = base.replace("particles: 500", f"particles: {particles}")
    text = text.replace("tolerance: 0.5", f"tolerance: {tolerance}")
    open(path, "w", encoding="utf-8").write(text)
    return path


SMALL, MID = calibration("small", 125, 1), calibration("mid", 200, 0.5)


def mpirun(ranks, *args):
    return ["mpirun", "-n", str(ranks), *OVERSUBSCRIBE, BIN, *args]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)


def same(a, b):
    res = subprocess.run(["/usr/bin/python3", SAME, a, b, "--ignore-attrs", PROCESS_ATTRS],
                         capture_output=True, text=True)
    return res.returncode == 0, (res.stdout + res.stderr)[:400]


def attr(path, name):
    try:
        with h5py.File(path, "r") as f:
            return f.attrs[name]
    except (OSError, KeyError):
        return None


def report_text(stdout):
    """The report without what may differ: its wall seconds and the file's name."""
    text = re.sub(r"runs\), [0-9.]+ s$", "runs), S s", stdout, flags=re.M)
    return re.sub(r"^posterior written to .*$", "posterior written to FILE", text, flags=re.M)


def rapport_lines(stderr):
    """rapport's own lines on stderr (not mpirun's banners)."""
    return [line for line in stderr.splitlines() if line.startswith("rapport")]


# ---- 1. the same file and report at 1, 2, 2 x 2 and 3 ranks ----
one = run([BIN, "calibrate", SMALL, "--threads", "1", "--posterior", f"{tmp}/one.h5"])
report(one.returncode == 0 and attr(f"{tmp}/one.h5", "ranks") == 1, "one process: exit 0, ranks = 1",
       one.stderr[:300])
if one.returncode != 0:
    finish()
for ranks, threads in ((2, 1), (2, 2), (3, 1)):
    out = f"{tmp}/r{ranks}t{threads}.h5"
    t0 = time.time()
    r = run(mpirun(ranks, "calibrate", SMALL, "--threads", str(threads), "--posterior", out))
    seconds = time.time() - t0
    ok, why = same(f"{tmp}/one.h5", out) if r.returncode == 0 else (False, f"exit {r.returncode}: {r.stderr[:400]}")
    report(ok and attr(out, "ranks") == ranks,
           f"mpirun -n {ranks}, {threads} thread(s) each: the posterior file of one process, ranks = {ranks}",
           why or f"ranks attribute {attr(out, 'ranks')}")
    report(report_text(r.stdout) == report_text(one.stdout) and r.stdout.count("rapport calibrate:") == 1,
           f"mpirun -n {ranks}, {threads} thread(s) each: the report of one process, printed once",
           r.stdout[:400])
    print(f"# mpirun -n {ranks} --threads {threads}: {seconds:.1f} s (mpirun's start included)")


# ---- 2. and 3. stopped on one rank, killed, resumed ----
def rank_pid(launcher, rank):
    """The pid of MPI rank `rank` among the launcher's descendants (None if not found)."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                ppid = int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    todo, found = [launcher], []
    while todo:
        for c in children.get(todo.pop(), []):
            todo.append(c)
            found.append(c)
    for pid in found:
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env or f"PMI_RANK={rank}".encode() in env:
            return pid
    return None


def start_until(path, generations):
    """mpirun -n 2 on MID writing path, once the file holds `generations` generations:
    (the launcher, rank 1's pid), or (the launcher, None) if it ended first."""
    p = subprocess.Popen(mpirun(2, "calibrate", MID, "--threads", "1", "--posterior", path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline and (attr(path, "generations") or 0) < generations:
        time.sleep(0.005)
    return p, rank_pid(p.pid, 1) if p.poll() is None else None


mid = run([BIN, "calibrate", MID, "--threads", "1", "--posterior", f"{tmp}/mid.h5"])
report(mid.returncode == 0, "the larger calibration in one process: exit 0", mid.stderr[:300])

path = f"{tmp}/stopped.h5"
p, pid = start_until(path, 3)
if pid:
    os.kill(pid, signal.SIGUSR1)
out, err = p.communicate(timeout=300)
lines = rapport_lines(err)
report(pid is not None and p.returncode == 75 and len(lines) == 1 and "--resume" in lines[0],
       "SIGUSR1 to rank 1 alone: every rank stops, exit 75, one line naming --resume",
       f"rank 1 pid {pid}, exit {p.returncode}: {err[:400]}")
with h5py.File(path, "r") as f:
    report(f.attrs["complete"] == 0 and "posterior" not in f and f.attrs["stop"] == "running",
           f"the checkpoint (generation {f.attrs['generations'] - 1}) does not look complete")
r = run([BIN, "calibrate", MID, "--threads", "2", "--posterior", path, "--resume"])
ok, why = same(f"{tmp}/mid.h5", path) if r.returncode == 0 else (False, f"exit {r.returncode}: {r.stderr[:400]}")
report(ok, "stopped on 2 ranks, resumed in one process: the uninterrupted file", why)

path = f"{tmp}/killed.h5"
p, pid = start_until(path, 3)
if pid:
    os.kill(pid, signal.SIGKILL)
p.communicate(timeout=300)
complete = attr(path, "complete")
report(pid is not None and p.returncode != 0 and complete == 0,
       "rank 1 killed (SIGKILL): the job fails, the file is a checkpoint, not complete",
       f"rank 1 pid {pid}, exit {p.returncode}, complete {complete}")
r = run(mpirun(3, "calibrate", MID, "--threads", "1", "--posterior", path, "--resume"))
ok, why = same(f"{tmp}/mid.h5", path) if r.returncode == 0 else (False, f"exit {r.returncode}: {r.stderr[:400]}")
report(ok and attr(path, "ranks") == 3, "killed on 2 ranks, resumed on 3: the uninterrupted file (ranks = 3)", why)

# ---- 4. and 5. Nelder-Mead ----
def nelder_mead(name, patients, evaluations, tolerance):
    path = f"{tmp}/{name}.yaml"
    open(path, "w", encoding="utf-8").write(
        f"scenario: {SRC}/scenarios/baseline.yaml\nreplicates: 3\npatients: {patients}\n"
        "free:\n  dropout.base: {min: -10, max: -5, start: -8}\n"
        "targets:\n  dropout: {value: 0.197, band: [0.187, 0.207]}\n"
        "  early_dropout: {value: 0.775, band: [0.70, 0.85], weight: 0}\n"
        f"budget: {{evaluations: {evaluations}, tolerance: {tolerance}}}\n")
    return path


def json_report(stdout):
    """The JSON report without what may differ: its seconds, threads and the -o file's name."""
    text = re.sub(r'"seconds": [0-9.]+', '"seconds": S', stdout)
    text = re.sub(r'"threads": [0-9]+', '"threads": T', text)
    return re.sub(r'"written": "[^"]*"', '"written": FILE', text)


def text_report(stdout):
    """The text report without its wall seconds."""
    return re.sub(r"evaluations, [0-9.]+ s;", "evaluations, S s;", stdout)


def first_difference(a, b):
    for x, y in zip(a.splitlines(), b.splitlines()):
        if x != y:
            return f"{x!r} vs {y!r}"
    return f"{len(a.splitlines())} vs {len(b.splitlines())} lines"


TINY = nelder_mead("tiny", 1000, 12, "1e-3")
one = run([BIN, "calibrate", TINY, "--threads", "1", "--json", "-o", f"{tmp}/nm1.yaml"])
text = run([BIN, "calibrate", TINY, "--threads", "1"])
report(one.returncode == 0 and text.returncode == 0, "nelder-mead in one process: exit 0", one.stderr[:300])
for ranks, threads in ((2, 1), (2, 2), (3, 1)):
    name = f"{tmp}/nm{ranks}x{threads}.yaml"
    r = run(mpirun(ranks, "calibrate", TINY, "--threads", str(threads), "--json", "-o", name))
    t = run(mpirun(ranks, "calibrate", TINY, "--threads", str(threads))) if ranks == 2 and threads == 1 else text
    same_yaml = r.returncode == 0 and open(name).read() == open(f"{tmp}/nm1.yaml").read()
    same_json = json_report(r.stdout) == json_report(one.stdout)
    same_text = text_report(t.stdout) == text_report(text.stdout)
    report(r.returncode == 0 and t.returncode == 0 and same_json and same_yaml and same_text,
           f"nelder-mead, mpirun -n {ranks}, {threads} thread(s) each: the "
           f"{'reports (JSON, text, once)' if t is not text else 'JSON report'} and calibrated scenario of one process",
           f"exit {r.returncode} and {t.returncode}, scenario {same_yaml}, JSON "
           f"{same_json or first_difference(json_report(one.stdout), json_report(r.stdout))}, text "
           f"{same_text or first_difference(text_report(text.stdout), text_report(t.stdout))}: {r.stderr[:300]}")

LONG = nelder_mead("long", 5000, 400, "1e-12")
out = f"{tmp}/long-out.yaml"
p = subprocess.Popen(mpirun(2, "calibrate", LONG, "--threads", "1", "-o", out), stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True, env=ENV)
deadline, pid = time.time() + 60, None
while p.poll() is None and time.time() < deadline and not pid:
    pid = rank_pid(p.pid, 1)
    time.sleep(0.01)
time.sleep(0.5)
if pid:
    os.kill(pid, signal.SIGTERM)
_, err = p.communicate(timeout=300)
lines = rapport_lines(err)
report(pid is not None and p.returncode == 130 and len(lines) == 1 and "interrupted" in lines[0] and
       not os.path.exists(out),
       "nelder-mead: SIGTERM to rank 1 alone stops every rank: exit 130, one line, nothing written",
       f"rank 1 pid {pid}, exit {p.returncode}: {err[:400]}")

# ---- 6. errors under mpirun ----
alone = run([BIN, "calibrate", f"{tmp}/none.yaml"])
r = run(mpirun(2, "calibrate", f"{tmp}/none.yaml"))
line = alone.stderr.strip()
report(r.returncode == alone.returncode != 0 and len(alone.stderr.splitlines()) == 1 and r.stderr.count(line) == 1,
       "a missing calibration file under mpirun -n 2: the exit code and the one line of one process",
       f"exit {r.returncode}: {r.stderr[:400]}")

# rank 1 does not see the file rank 0 resumes (as on a file system local to each node; here by MPMD):
# refused on every rank before anything runs, the file untouched
before = os.stat(f"{tmp}/one.h5").st_mtime_ns
r = run(["mpirun", "-n", "1", *OVERSUBSCRIBE, BIN, "calibrate", SMALL, "--posterior", f"{tmp}/one.h5", "--resume",
         ":", "-n", "1", BIN, "calibrate", SMALL, "--posterior", f"{tmp}/unseen.h5", "--resume"])
lines = rapport_lines(r.stderr)
report(r.returncode == 2 and len(lines) == 1 and "different generations" in lines[0] and
       os.stat(f"{tmp}/one.h5").st_mtime_ns == before and not os.path.exists(f"{tmp}/unseen.h5"),
       "--resume of a file that one rank does not see: exit 2, one line, the file untouched",
       f"exit {r.returncode}: {r.stderr[:400]}")

finish()
