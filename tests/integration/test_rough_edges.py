"""Rough edges a new user meets (issue 11, items 8 and 12): each answer is
the plain one, never a bogus date, a contradiction or a misleading error."""
import json
import os
import signal
import subprocess
import time

from conftest import BIN, Mount, State, is_dead_mount, wait_for

P = "agents/main/profiles"


def test_order_of_a_provider_without_credential_is_an_empty_answer(state, mount):
    p = state.run("models", "auth", "order", "get", "--provider", "groq")
    assert p.returncode == 0, p.err
    assert "Order override: (none)" in p.out
    assert "Effective order: (no usable credential)" in p.out
    j = state.run("models", "auth", "order", "get", "--provider", "groq", "--json")
    assert j.returncode == 0, j.err
    assert json.loads(j.out)["effective"] == [] and json.loads(j.out)["order"] is None
    m = mount()
    assert (m / f"{P}/groq/order").read_text() == ""
    assert os.stat(m / f"{P}/groq/order").st_size == 0


def other_state_mount(tmp_path, fake):
    """A mount of another state dir (another user's, another checkout's)."""
    base = tmp_path / "other"
    base.mkdir()
    other = State(base, fake)
    other.write_config({})
    other.paste("openai", "sk-test-other-state-" + "0123456789abcdef" * 2)
    return Mount(other, tmp_path / "othermnt")


def test_doctor_ignores_dead_and_hung_mounts_of_others(state, tmp_path, fake):
    state.paste("openai", "sk-test-doctor-mine-" + "0123456789abcdef" * 2)
    os.chmod(state.config, 0o600)
    dead = other_state_mount(tmp_path, fake)
    os.kill(dead.pid()[0], signal.SIGKILL)
    wait_for(lambda: is_dead_mount(dead.path))
    hung = Mount(dead.state, tmp_path / "hungmnt")
    hung_pid = hung.pid()[0]
    os.kill(hung_pid, signal.SIGSTOP)
    try:
        t = time.time()
        p = state.run("doctor", timeout=20)
        assert p.returncode == 0 and "Healthy" in p.out, p.out
        assert time.time() - t < 10
    finally:
        os.kill(hung_pid, signal.SIGCONT)
        hung.unmount()
        dead.unmount()


def test_daemon_started_with_sigint_ignored_still_unmounts_on_sigint(state, tmp_path):
    state.paste("openai", "sk-test-sigint-ign-" + "0123456789abcdef" * 2)
    mp = tmp_path / "mnt"
    mp.mkdir()
    p = subprocess.run([BIN, "mount", str(mp)], env=state.env, capture_output=True, text=True,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert p.returncode == 0, p.stderr
    wait_for(lambda: os.path.ismount(mp))
    pid = int(subprocess.run(["pgrep", "-f", f"nova-engine mount {mp}"], capture_output=True, text=True).stdout.split()[0])
    try:
        os.kill(pid, signal.SIGINT)
        wait_for(lambda: not os.path.ismount(mp), timeout=5)
    finally:
        if os.path.ismount(mp):
            subprocess.run(["fusermount3", "-uz", str(mp)])
            os.kill(pid, signal.SIGKILL)
