"""A failed write changes nothing (SPEC 12, issue 11 item 2): whatever is
written between open and close is one value, checked as it comes (so
write() fails and `echo` says so) and stored at close; the store and the
config change together or not at all."""
import errno
import json
import os
import subprocess

import pytest

P = "agents/main/profiles"
NEW = "sk-test-new-value-" + "0123456789abcdef" * 2
OLD = "sk-test-old-value-" + "0123456789abcdef" * 2


def stored(state, pid="openai:default"):
    p = state.run("models", "auth", "token", pid)
    return p.out.strip() if p.returncode == 0 else None


def write_chunks(path, *chunks):
    """os.write each chunk on one open; the errno of each write and of close."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    errs = []
    for c in chunks:
        try:
            os.write(fd, c)
            errs.append(0)
        except OSError as e:
            errs.append(e.errno)
    try:
        os.close(fd)
        errs.append(0)
    except OSError as e:
        errs.append(e.errno)
    return errs


def test_two_lines_in_one_printf_store_nothing(state, mount):
    state.paste("openai", OLD)
    m = mount()
    r = subprocess.run(["bash", "-c", f"printf 'sk-test-line1-0123456789abcdef0123456789\\nsk-test-line2-0123456789abcdef0123456789\\n' > {m / P}/openai/token"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "write error: Invalid argument" in r.stderr
    assert stored(state) == OLD


def test_a_second_line_in_a_second_write_stores_nothing(state, mount):
    state.paste("openai", OLD)
    m = mount()
    errs = write_chunks(m / f"{P}/openai/token", b"sk-test-line1-0123456789abcdef0123456789\n", b"sk-test-line2-0123456789abcdef0123456789\n")
    assert errs == [0, errno.EINVAL, 0]
    assert stored(state) == OLD


def test_a_value_over_the_limit_after_a_short_start_stores_nothing(state, mount):
    state.paste("openai", OLD)
    m = mount()
    assert write_chunks(m / f"{P}/openai/token", b"sk-", b"x" * 15000) == [0, errno.EINVAL, 0]
    assert stored(state) == OLD
    assert write_chunks(m / f"{P}/openai/token", NEW.encode() + b"\n", b"x" * 15000) == [0, errno.EINVAL, 0]
    assert stored(state) == OLD


def test_a_bad_byte_anywhere_stores_nothing(state, mount):
    state.paste("openai", OLD)
    m = mount()
    assert write_chunks(m / f"{P}/openai/token", b"sk-test-abc", b"\x01def\n") == [0, errno.EINVAL, 0]
    assert write_chunks(m / f"{P}/openai/token", b"sk-test-abc\0def\n") == [errno.EINVAL, 0]
    assert stored(state) == OLD


def test_a_json_credential_may_come_in_lines(state, mount):
    m = mount()
    key = "sk-test-json-lines-" + "0123456789abcdef" * 2
    errs = write_chunks(m / f"{P}/openai/token", b"{\n", f'  "type": "api_key",\n  "key": "{key}"\n'.encode(), b"}\n")
    assert errs == [0, 0, 0, 0]
    assert stored(state) == key


def test_order_lines_are_one_value(state, mount):
    state.paste("openai", OLD)
    state.paste("openai", OLD + "b", "--profile-id", "b")
    m = mount()
    r = subprocess.run(["bash", "-c", f"for w in b nosuch; do echo $w; done > {m / P}/openai/order"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "write error: Invalid argument" in r.stderr
    assert json.loads(state.run("models", "auth", "order", "get", "--provider", "openai", "--json").out)["order"] is None
    assert subprocess.run(["bash", "-c", f"for w in b default; do echo $w; done > {m / P}/openai/order"]).returncode == 0
    assert (m / f"{P}/openai/order").read_text() == "openai:b\nopenai:default\n"


@pytest.fixture
def ro_config(state, tmp_path):
    """The config in a directory of its own, then made read-only."""
    d = tmp_path / "cfg"
    d.mkdir()
    state.env["NOVA_ENGINE_CONFIG_PATH"] = str(d / "nova-engine.json")
    (d / "nova-engine.json").write_text(state.config.read_text())
    state.paste("openai", OLD)
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", str(d)], check=True)
    yield d
    subprocess.run(["umount", str(d)])


def test_paste_with_a_read_only_config_stores_nothing(state, ro_config):
    before = state.store().read_bytes()
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "new",
                  input=NEW)
    assert p.returncode == 1 and "Read-only file system" in p.err
    assert state.store().read_bytes() == before
    assert stored(state, "openai:new") is None and stored(state) == OLD


def test_token_write_with_a_read_only_config_stores_nothing(state, ro_config, mount):
    m = mount()
    os.mkdir(m / f"{P}/openai/new")
    errs = write_chunks(m / f"{P}/openai/new/token", NEW.encode() + b"\n")
    assert errs == [0, errno.EROFS]
    assert stored(state, "openai:new") is None and stored(state) == OLD


@pytest.fixture
def full_config(state, tmp_path):
    """The config on a tiny tmpfs that is then filled up."""
    d = tmp_path / "cfg"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(d)], check=True)
    state.env["NOVA_ENGINE_CONFIG_PATH"] = str(d / "nova-engine.json")
    (d / "nova-engine.json").write_text(state.config.read_text())
    state.paste("openai", OLD)  # the config's lock file exists from here on
    with open(d / "filler", "wb") as f:
        try:
            f.write(b"x" * (1 << 20))
        except OSError:
            pass
    yield d
    subprocess.run(["umount", "-l", str(d)])


def test_a_config_that_cannot_be_saved_undoes_the_store_write(state, full_config):
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "new",
                  input=NEW)
    assert p.returncode == 1 and "No space left on device" in p.err
    assert stored(state, "openai:new") is None
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", input="sk-test-replaced-" + "0123456789abcdef" * 2)
    assert p.returncode == 0  # the config already says all this: nothing to write there
    assert stored(state) == "sk-test-replaced-" + "0123456789abcdef" * 2
