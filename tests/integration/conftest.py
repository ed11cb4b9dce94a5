"""Fixtures for the integration suite: the built binary, a throwaway
state dir per test, real FUSE mounts that are always unmounted, and a pty
runner for prompts. Every secret here is made up."""
import os
import pathlib
import pty
import select
import shutil
import subprocess
import time

import pytest

from fakeprovider import Fake

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("NOVA_ENGINE_BIN", str(ROOT / "build" / "nova-engine"))

# NOVA_ENGINE_VALGRIND=1 (make valgrind) runs every CLI call under memcheck.
VALGRIND = os.environ.get("NOVA_ENGINE_VALGRIND") == "1"

# A made-up setup-token of the right shape (sk-ant-oat01- and >= 80 chars).
SETUP_TOKEN = "sk-ant-oat01-" + "T3stOnlyNotARealToken" * 4


def loaded_libraries(state, *args):
    """The shared objects the dynamic loader opened for one command."""
    p = state.run(*args, env={"LD_DEBUG": "files"})
    return p, {line.split("file=", 1)[1].split()[0] for line in p.err.splitlines() if "\tfile=" in line}


def needed_libraries():
    """The binary's NEEDED entries (readelf -d)."""
    out = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True, check=True).stdout
    needed = [line for line in out.splitlines() if "(NEEDED)" in line]
    assert needed, out  # readelf did list the dependencies
    return needed


def library_path(soname):
    """The file of a shared library, from the loader cache (else skip)."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.split()[:1] == [soname]:
            return os.path.realpath(line.split("=>")[1].strip())
    pytest.skip(f"{soname} not in the loader cache")


def without_library(state, soname, *args):
    """Run the binary in a private mount namespace where the library's
    file is empty, as on a system without it (root only, else skip)."""
    if os.geteuid() != 0:
        pytest.skip("needs root for a private mount namespace")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, library_path(soname), BIN, *args],
                       capture_output=True, env=state.env, cwd=state.cwd, timeout=30, input=b"")
    p.out, p.err = p.stdout.decode(), p.stderr.decode()
    return p


PROVIDERS = ["anthropic", "openai", "openai-codex", "openrouter", "google", "mistral", "groq", "xai", "deepseek"]


def merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v
    return base


class State:
    """A fresh state dir and an environment that points only at it; every
    provider's address is the fake provider on loopback."""

    def __init__(self, base, fake):
        self.fake = fake
        self.dir = base / "state"
        self.home = base / "home"
        self.home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.endswith(("_API_KEY", "_OAUTH_TOKEN")) and not k.startswith("NOVA_ENGINE_")}
        self.env.update(HOME=str(self.home), NOVA_ENGINE_STATE_DIR=str(self.dir))
        self.cwd = base

    @property
    def config(self):
        return self.dir / "nova-engine.json"

    def store(self, agent="main"):
        return self.dir / "agents" / agent / "agent" / "auth-profiles.json"

    def run(self, *args, input=None, env=None, timeout=30):
        e = dict(self.env)
        e.update(env or {})
        if isinstance(input, str):
            input = input.encode()
        cmd = [BIN, *args]
        if VALGRIND:
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect", *cmd]
            timeout *= 10
        p = subprocess.run(cmd, input=input if input is not None else b"",
                           capture_output=True, env=e, cwd=self.cwd, timeout=timeout)
        assert p.returncode != 99 or not VALGRIND, p.stderr.decode(errors="replace")
        p.out = p.stdout.decode(errors="replace")
        p.err = p.stderr.decode(errors="replace")
        return p

    def paste(self, provider, secret, *extra, kind="paste-api-key"):
        p = self.run("models", "auth", kind, "--provider", provider, *extra, input=secret + "\n")
        assert p.returncode == 0, p.err
        return p

    def write_config(self, obj):
        import json
        base = {"models": {"providers": {p: {"baseUrl": self.fake.url,
                                             "oauth": {"tokenUrl": self.fake.url + "/v1/oauth/token"}}
                                         for p in PROVIDERS}}}
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config.write_text(json.dumps(merge(base, obj), indent=2))


@pytest.fixture(scope="session")
def fake():
    f = Fake()
    yield f
    f.close()


@pytest.fixture
def state(tmp_path, fake):
    s = State(tmp_path, fake)
    s.write_config({})
    return s


def run_pty(state, args, answers, timeout=10):
    """Run the binary on a real pty; answers: list of (prompt substring,
    text to type). Returns (exit code, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(state.cwd)
        os.execve(BIN, [BIN, *args], state.env)
    shown = b""
    pending = list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        if pending and pending[0][0].encode() in shown:
            os.write(fd, pending.pop(0)[1].encode())
    done, status = 0, 0
    for _ in range(40):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    if not done:  # still waiting for input it will never get: a failure, not a hang
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


class Mount:
    """A real mount of the filesystem, daemonized as users run it."""

    def __init__(self, state, path, args=()):
        self.state = state
        self.path = path
        self.log = path.parent / "mount.log"
        path.mkdir()
        p = state.run("mount", str(path), "--log", str(self.log), *args)
        assert p.returncode == 0, p.err
        wait_for(lambda: os.path.ismount(path))

    def __truediv__(self, rel):
        return self.path / rel

    def pid(self):
        """The daemon's pid (a list: empty once it is gone). A child it
        forks has the same command line until it execs; it is left out."""
        out = subprocess.run(["pgrep", "-f", f"nova-engine mount {self.path}"], capture_output=True, text=True).stdout
        pids = [int(x) for x in out.split()]

        def parent(p):
            try:
                return int(pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return None
        return [p for p in pids if parent(p) not in pids]

    def unmount(self):
        if os.path.ismount(self.path):
            subprocess.run(["fusermount3", "-u", str(self.path)], capture_output=True)
        if os.path.ismount(self.path) or is_dead_mount(self.path):
            subprocess.run(["fusermount3", "-uz", str(self.path)], capture_output=True)
        for pid in self.pid():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def is_dead_mount(path):
    try:
        os.stat(path)
        return False
    except OSError as e:
        return e.errno == 107  # ENOTCONN


def rss_kib(pid):
    """A process's resident memory in KiB."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_for(cond, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def mount(state, tmp_path):
    mounts = []

    def make(*args, name="mnt"):
        m = Mount(state, tmp_path / name, args)
        mounts.append(m)
        return m
    yield make
    for m in mounts:
        m.unmount()


@pytest.fixture(scope="module")
def etcd():
    """One real three-member etcd cluster per test module (tests that kill
    members restart them before they end); always stopped, also on failure or
    interrupt (the members run in their own process groups)."""
    from etcd_cluster import Cluster
    c = Cluster()
    try:
        c.start()
        yield c
    finally:
        c.stop()
