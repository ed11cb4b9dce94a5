"""SPEC 12: files and directories that name agents or profiles are the
mount owner's alone, `--allow-other` or not, unless the user gives a group
(`--gid`). Checked with a real second uid (nobody) against a real mount."""
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import Mount

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz0123"
NOBODY = 65534


def as_user(uid, gid, *cmd):
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *cmd],
                          capture_output=True, text=True, timeout=30)


@pytest.fixture
def shared_mount(state):
    """A mount another uid can reach: pytest's tmp dirs are root-only, so
    the mountpoint sits in a directory everyone may traverse."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="nv-shared-"))
    os.chmod(base, 0o755)
    made = []

    def make(*args):
        m = Mount(state, base / f"mnt{len(made)}", ("--allow-other", *args))
        made.append(m)
        return m
    yield make
    for m in made:
        m.unmount()
    shutil.rmtree(base, ignore_errors=True)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_listings_are_owner_only_with_allow_other(state, shared_mount):
    state.paste("openai", KEY, "--profile-id", "me@example.com")
    m = shared_mount()
    assert mode(m / ".nova-engine/metrics") == 0o400
    assert mode(m / "agents") == 0o700
    assert mode(m / "agents/main/profiles/openai/status") == 0o400
    assert "me@example.com" in (m / ".nova-engine/metrics").read_text()  # the owner still reads it
    r = as_user(NOBODY, NOBODY, "cat", str(m / ".nova-engine/metrics"))
    assert r.returncode == 1 and "Permission denied" in r.stderr and "example" not in r.stdout
    r = as_user(NOBODY, NOBODY, "ls", str(m / "agents"))
    assert r.returncode == 2 and "Permission denied" in r.stderr and "main" not in r.stdout
    for f in ("agents/main/profiles/openai/status", ".nova-engine/audit"):
        r = as_user(NOBODY, NOBODY, "cat", str(m / f))
        assert r.returncode == 1 and "Permission denied" in r.stderr, f
    # what names nothing stays readable: the mount's root and the version
    assert as_user(NOBODY, NOBODY, "ls", str(m.path)).stdout.split() == ["agents"]
    r = as_user(NOBODY, NOBODY, "cat", str(m / ".nova-engine/version"))
    assert r.returncode == 0 and r.stdout.startswith("nova-engine ")


def test_a_given_group_may_read_the_listings(state, shared_mount):
    state.paste("openai", KEY, "--profile-id", "me@example.com")
    m = shared_mount("--gid", "4321")
    assert mode(m / ".nova-engine/metrics") == 0o440
    assert mode(m / "agents") == 0o750
    r = as_user(NOBODY, 4321, "cat", str(m / ".nova-engine/metrics"))
    assert r.returncode == 0 and 'profile="openai:me@example.com"' in r.stdout
    assert as_user(NOBODY, 4321, "ls", str(m / "agents")).stdout == "main\n"
    # the group lists agents, but an agent's directory stays the owner's
    r = as_user(NOBODY, 4321, "ls", str(m / "agents/main"))
    assert r.returncode == 2 and "Permission denied" in r.stderr
    r = as_user(NOBODY, NOBODY, "cat", str(m / ".nova-engine/metrics"))
    assert r.returncode == 1 and "Permission denied" in r.stderr
