"""libcurl is loaded on first network use, not linked (docs/benchmarks-notes.md):
commands that never touch the network never load it, the ones that do still
work, and a missing library gives a clear error instead of a crash."""
import json
import pathlib

import pytest

from conftest import VALGRIND, library_path, loaded_libraries, needed_libraries, without_library

pytestmark = pytest.mark.skipif(VALGRIND, reason="LD_DEBUG would trace valgrind, not the binary")


def libcurl_path():
    return library_path("libcurl.so.4")


def test_binary_has_no_libcurl_dependency():
    assert not [n for n in needed_libraries() if "libcurl" in n]


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
    return without_library(state, "libcurl.so.4", *args)


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
