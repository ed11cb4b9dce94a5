"""The audit trail and the reader it names, attacked: paced readers across
rotations, a process that shares its memory and execs, a parent that is a
zombie (found by an attack on 7e3df7a..9764936; each failed there)."""
import ctypes
import json
import os
import subprocess
import sys
import textwrap
import time

from conftest import wait_for
from test_consumers import OPENAI, P, audit_lines

CVM = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *tok;
static char stack[1 << 20];
static int child(void *a)
{
	char b[256];
	int fd = open(tok, O_RDONLY);
	if (fd < 0 || read(fd, b, sizeof(b)) <= 0)
		_exit(3);
	close(fd);
	execl("/bin/cat", "cat", tok, (char *)0);
	_exit(127);
}
int main(int c, char **v)
{
	int st;
	tok = v[1];
	pid_t p = clone(child, stack + sizeof(stack), CLONE_VM | SIGCHLD, 0);
	return p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) ? 1 : WEXITSTATUS(st);
}
"""


def test_audit_exe_after_exec_of_a_process_sharing_its_memory(state, mount, tmp_path):
    # A child made with clone(CLONE_VM) (no CLONE_THREAD: its own process)
    # reads, then execs cat. Its parent still holds the old memory, so the
    # kept /proc/<pid>/environ still reads a byte and the daemon reports
    # the old executable for cat's read.
    state.paste("openai", OPENAI)
    m = mount()
    tok = str(m / f"{P}/openai/token")
    src, exe = tmp_path / "cvm.c", tmp_path / "cvm"
    src.write_text(CVM)
    subprocess.run(["cc", "-O1", "-o", str(exe), str(src)], check=True)
    r = subprocess.run([str(exe), tok], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == OPENAI + "\n", r.stderr
    lines = [l for l in audit_lines(state) if l["how"] == "mount:token"]
    assert [l["comm"] for l in lines] == ["cvm", "cat"]
    assert lines[1]["exe"] == os.path.realpath("/bin/cat"), lines[1]  # got str(exe)


def test_audit_names_the_new_parent_while_the_dead_parent_is_a_zombie(state, mount, tmp_path):
    # The reader's parent exits but is not reaped yet (a zombie): the
    # reader was already given a new parent, yet the kept comm descriptor
    # of the old parent still reads, so the old ppid/pcomm are reported.
    state.paste("openai", OPENAI)
    m = mount()
    tok = str(m / f"{P}/openai/token")
    reader = tmp_path / "reader.py"
    reader.write_text(f"import os, time\nopen({tok!r}).read()\ntime.sleep(0.8)\n"
                      f"print(os.getppid(), flush=True)\nopen({tok!r}).read()\n")
    out = tmp_path / "out"
    sh = subprocess.Popen(["sh", "-c", f"{sys.executable} {reader} >{out} & echo $!; sleep 0.3"],
                          stdout=subprocess.PIPE, text=True)
    pid = int(sh.stdout.readline())
    try:
        wait_for(lambda: len([l for l in audit_lines(state) if l["pid"] == pid]) == 2, timeout=5)
        assert open(f"/proc/{sh.pid}/stat").read().split()[2] == "Z"  # not reaped: a zombie
    finally:
        sh.wait()
    first, second = [l for l in audit_lines(state) if l["pid"] == pid]
    real_new_parent = int(out.read_text())
    assert first["ppid"] == sh.pid
    assert second["ppid"] == real_new_parent, second  # got the zombie's pid and pcomm "sh"


READER = r"""
import ctypes, json, sys, time
libc = ctypes.CDLL(None)
tok, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
done = []
for i in range(n):
    name = f"w{k}x{i}"
    libc.prctl(15, name.encode(), 0, 0, 0)  # each read names itself
    t0 = time.time() * 1000
    assert open(tok).read()
    done.append((name, t0))
    time.sleep(0.02)
print(json.dumps(done))
"""


def test_audit_rotation_keeps_every_line_newer_than_the_oldest_kept(state, mount, tmp_path):
    # Paced readers on several daemon threads, small audit.maxBytes. A daemon
    # thread that has not looked at the path for < 1 s appends to the file
    # another thread just renamed to audit.jsonl.1; the next rotation drops
    # that file (and the line), while lines older than it are kept: the
    # trail has holes, not only a dropped oldest part.
    state.write_config({"audit": {"maxBytes": 4096}})
    state.paste("openai", OPENAI)
    m = mount()
    tok = str(m / f"{P}/openai/token")
    script = tmp_path / "reader.py"
    script.write_text(READER)
    holes = []
    for _ in range(4):
        ps = [subprocess.Popen([sys.executable, str(script), tok, str(k), "150"], stdout=subprocess.PIPE, text=True)
              for k in range(4)]
        done = [r for p in ps for r in json.loads(p.communicate()[0])]
        assert all(p.returncode == 0 for p in ps)
        rows = []
        for f in ("audit.jsonl.1", "audit.jsonl"):
            rows += [json.loads(l) for l in (state.dir / f).read_text().splitlines()]
        kept = {r["comm"] for r in rows}
        oldest = min(r["ts"] for r in rows)
        holes = [(name, t0, oldest) for name, t0 in done if name not in kept and t0 > oldest + 30]
        if holes:
            break
    assert holes == [], f"reads started >30 ms after the oldest kept line, yet not in the trail: {holes[:5]}"
