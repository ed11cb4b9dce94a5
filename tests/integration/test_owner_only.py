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
    r = as_user(NOBODY, NOBODY, "cat", str(m / ".nova-engine/metrics"))
    assert r.returncode == 1 and "Permission denied" in r.stderr


def test_a_given_group_reaches_status_but_no_secret(state, shared_mount):
    """The group may read status files (docs/filesystem.md), so every
    directory on the way to one is 0750; the secrets beside them (token,
    order, health, env, the decrypted store, native files) stay 0600/0400,
    and the directories that hold only secrets stay 0700."""
    state.paste("openai", KEY, "--profile-id", "me@example.com")
    m = shared_mount("--gid", "4321")
    prov = "agents/main/profiles/openai"
    for d in ("agents/main", "agents/main/profiles", prov, f"{prov}/me@example.com"):
        assert mode(m / d) == 0o750, d
    for d in ("agents/main/native", "agents/main/native/claude", "agents/main/sessions"):
        assert mode(m / d) == 0o700, d
    for f in (f"{prov}/status", f"{prov}/me@example.com/status", f"{prov}/status.json"):
        r = as_user(NOBODY, 4321, "head", "-c", "4096", str(m / f))
        assert r.returncode == 0 and "openai:me@example.com" in r.stdout, (f, r.stderr)
    assert "me@example.com" in as_user(NOBODY, 4321, "ls", str(m / prov)).stdout.split()
    for f in (f"{prov}/token", f"{prov}/order", f"{prov}/me@example.com/token", f"{prov}/me@example.com/health",
              "agents/main/env", "agents/main/auth-profiles.json", "agents/main/native/claude/.credentials.json",
              "agents/main/native/codex/auth.json"):
        r = as_user(NOBODY, 4321, "cat", str(m / f))
        assert r.returncode == 1 and "Permission denied" in r.stderr and KEY not in r.stdout, f
    for d in ("agents/main/native", "agents/main/sessions"):
        r = as_user(NOBODY, 4321, "ls", str(m / d))
        assert r.returncode == 2 and "Permission denied" in r.stderr, d
    # the group reads; it never writes
    r = as_user(NOBODY, 4321, "mkdir", str(m / prov / "intruder"))
    assert r.returncode == 1 and "Permission denied" in r.stderr
    # outside the group nothing changed
    r = as_user(NOBODY, NOBODY, "cat", str(m / prov / "status"))
    assert r.returncode == 1 and "Permission denied" in r.stderr


def test_the_mount_log_is_the_owners_alone_whatever_the_umask(state, shared_mount):
    # the log names agents and profiles ("agent main: stored openai:...");
    # fopen made it 0644 under the usual umask, readable by every uid
    old = os.umask(0o022)
    try:
        m = shared_mount()
    finally:
        os.umask(old)
    (m / "agents/main/profiles/openai/token").write_text(KEY + "\n")
    assert "agent main: stored openai:default" in m.log.read_text()
    assert mode(m.log) == 0o600
    r = as_user(NOBODY, NOBODY, "cat", str(m.log))
    assert r.returncode == 1 and "Permission denied" in r.stderr and "openai" not in r.stdout
