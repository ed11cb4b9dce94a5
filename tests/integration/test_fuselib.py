"""libfuse3 is loaded when a mount starts, not linked (docs/benchmarks-notes.md):
the other commands never map it, a mount still serves, and a missing
library makes `mount` fail with one clear line while the rest works."""
import os
import pathlib

import pytest

from conftest import VALGRIND, loaded_libraries, needed_libraries, without_library

pytestmark = pytest.mark.skipif(VALGRIND, reason="LD_DEBUG would trace valgrind, not the binary")

KEY = "sk-test-fuselib-key-0123456789-abcdef"


def test_binary_has_no_libfuse_dependency():
    assert not [n for n in needed_libraries() if "libfuse" in n]


def test_commands_other_than_mount_never_load_libfuse(state):
    state.paste("openai", KEY)
    for args in (("--version",), ("models", "auth", "token", "openai:default"), ("models", "status"), ("audit",)):
        p, libs = loaded_libraries(state, *args)
        assert p.returncode == 0, p.err
        assert any("libc.so" in lib for lib in libs), libs  # the trace did see the loaded libraries
        assert not [lib for lib in libs if "libfuse" in lib], (args, libs)


def test_mount_loads_libfuse_and_serves(state, mount):
    state.paste("openai", KEY)
    m = mount()
    assert (m / "agents/main/profiles/openai/token").read_text() == KEY + "\n"
    assert "libfuse3.so.3" in pathlib.Path(f"/proc/{m.pid()[0]}/maps").read_text()


def without_libfuse(state, *args):
    return without_library(state, "libfuse3.so.3", *args)


def test_missing_libfuse_mount_fails_with_one_clear_line_and_the_rest_works(state, tmp_path):
    state.paste("openai", KEY)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    p = without_libfuse(state, "mount", str(mnt))
    assert p.returncode == 1
    assert p.err.startswith("Error: cannot load the FUSE library libfuse3.so.3 ("), p.err
    assert p.err.rstrip().endswith("install libfuse3 (Debian: apt install fuse3) to mount"), p.err
    assert len(p.err.strip().splitlines()) == 1 and not os.path.ismount(mnt)
    t = without_libfuse(state, "models", "auth", "token", "openai:default")
    assert (t.returncode, t.out) == (0, KEY + "\n")
