"""libcurl is loaded on first network use, not linked (docs/benchmarks-notes.md):
commands that never touch the network never load it, the ones that do still
work, and a missing library gives a clear error instead of a crash."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BIN, VALGRIND

pytestmark = pytest.mark.skipif(VALGRIND, reason="LD_DEBUG would trace valgrind, not the binary")


def loaded_libraries(state, *args):
    """The shared objects the dynamic loader opened for one command."""
    p = state.run(*args, env={"LD_DEBUG": "files"})
    libs = {line.split("file=", 1)[1].split()[0] for line in p.err.splitlines() if "\tfile=" in line}
    return p, libs


def libcurl_path():
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.split()[:1] == ["libcurl.so.4"]:
            return os.path.realpath(line.split("=>")[1].strip())
    pytest.skip("libcurl.so.4 not in the loader cache")


def test_binary_has_no_libcurl_dependency():
    out = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True, check=True).stdout
    needed = [line for line in out.splitlines() if "(NEEDED)" in line]
    assert needed, out  # readelf did list the dependencies
    assert not [n for n in needed if "libcurl" in n], needed


def test_token_and_status_never_load_libcurl(state):
    state.paste("openai", "sk-test-netlib-token-0123456789-abcdef")
    for args in (("models", "auth", "token", "openai:default"), ("models", "status"), ("--version",)):
        p, libs = loaded_libraries(state, *args)
        assert p.returncode == 0, p.err
        assert any("libsodium" in lib for lib in libs), libs  # the trace did see the loaded libraries
        assert not [lib for lib in libs if "libcurl" in lib], (args, libs)


def test_probe_loads_libcurl_and_checks_against_the_fake_provider(state):
    state.paste("openai", "sk-test-netlib-ok-0123456789-abcdef")
    p, libs = loaded_libraries(state, "models", "status", "--probe", "--json")
    assert p.returncode == 0, p.err
    assert [lib for lib in libs if "libcurl.so.4" in lib], libs
    got = json.loads(p.out)["probes"]
    assert [(e["profile"], e["probe"], e["probe_http"]) for e in got] == [("openai:default", "ok", 200)]


def test_mount_daemon_loads_libcurl_only_for_a_status_read(state, mount):
    state.paste("openai", "sk-test-netlib-ok-0123456789-abcdef")
    m = mount()
    assert (m / "agents/main/profiles/openai/token").read_text().strip() == "sk-test-netlib-ok-0123456789-abcdef"
    pid = m.pid()[0]
    assert "libcurl" not in pathlib.Path(f"/proc/{pid}/maps").read_text()
    assert "ok" in (m / "agents/main/profiles/openai/status").read_text()
    assert "libcurl.so.4" in pathlib.Path(f"/proc/{pid}/maps").read_text()


def without_libcurl(state, *args):
    """Run the binary in a private mount namespace where libcurl's file is
    empty, as on a system without the library."""
    if os.geteuid() != 0:
        pytest.skip("needs root for a private mount namespace")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, libcurl_path(), BIN, *args],
                       capture_output=True, env=state.env, cwd=state.cwd, timeout=30, input=b"")
    p.out, p.err = p.stdout.decode(), p.stderr.decode()
    return p


MISSING = "cannot load the network library libcurl.so.4 ("
ADVICE = "install libcurl (Debian: apt install libcurl4) for live checks and logins"


def test_missing_libcurl_probe_says_what_to_install(state):
    state.paste("openai", "sk-test-netlib-ok-0123456789-abcdef")
    p = without_libcurl(state, "models", "status", "--probe", "--json")
    assert p.returncode == 0, p.err
    (entry,) = json.loads(p.out)["probes"]
    assert entry["probe"] == "unknown"
    assert entry["probe_message"].startswith(MISSING) and entry["probe_message"].endswith(ADVICE)
    # everything that needs no network still works
    t = without_libcurl(state, "models", "auth", "token", "openai:default")
    assert (t.returncode, t.out) == (0, "sk-test-netlib-ok-0123456789-abcdef\n")


def test_missing_libcurl_login_fails_with_one_clear_line(state):
    p = without_libcurl(state, "models", "auth", "login", "--provider", "openai-codex")
    assert p.returncode == 1
    assert p.err.startswith("Error: " + MISSING) and p.err.rstrip().endswith(ADVICE), p.err
    assert len(p.err.strip().splitlines()) == 1
