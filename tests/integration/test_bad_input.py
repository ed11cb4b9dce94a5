"""Bad input gets one clear line on stderr, a non-zero exit, and changes
nothing (SPEC 10, issue 2 item 7)."""
import json
import os
import shutil

import pytest

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvw"


@pytest.fixture
def seeded(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work"}]}})
    state.paste("openai", KEY)
    return state


def snapshot(state):
    files = {}
    for p in sorted(state.dir.rglob("*")):
        if p.is_file() and not p.name.endswith(".lock"):
            files[str(p)] = p.read_bytes()
    return files


def refused(state, args, input=None, env=None, code=None):
    before = snapshot(state)
    p = state.run(*args, input=input, env=env)
    assert p.returncode != 0, p.out
    if code is not None:
        assert p.returncode == code
    assert p.err.startswith("Error: "), p.err
    assert p.err.count("\n") <= 2, p.err  # the error, and at most a pointer to --help
    assert snapshot(state) == before
    assert KEY not in p.out + p.err
    return p.err.splitlines()[0]


PASTE = ["models", "auth", "paste-token", "--provider", "anthropic"]


@pytest.mark.parametrize("value,words", [
    (b"", "token is empty"),
    (b"   \n\n", "token is empty"),
    (b"sk-ant-oat01 with spaces", "white space"),
    (b"sk-ant-oat01-\x00nul", "NUL"),
    (b"sk-ant-oat01-\x07bell", "control"),
    (b"sk-ant-oat01-\xff\xfe", "non-ASCII"),
    (b"a" * (1 << 20), "too long"),
    (b"sk-ant-oat01-first-line-0123456789\nsk-ant-oat01-second-line\n", "has a second line"),
    (b"sk-ant-oat01-first-line-0123456789\r\nsk-ant-oat01-second-line\n", "has a second line"),
], ids=["empty", "blank", "spaces", "nul", "control", "non-ascii", "1MiB", "two lines", "crlf two lines"])
def test_bad_tokens_refused(seeded, value, words):
    assert words in refused(seeded, PASTE, input=value)


def test_invalid_provider(seeded):
    msg = refused(seeded, ["models", "auth", "paste-api-key", "--provider", "Bad/Provider"], input=KEY)
    assert msg.startswith('Error: invalid provider "Bad/Provider"')


def test_missing_provider(seeded):
    msg = refused(seeded, ["models", "auth", "paste-api-key"], input=KEY, code=2)
    assert "--provider is required" in msg


@pytest.mark.parametrize("pid", ["a/b", "..", "status", "openai:x", ":x", "x" * 200])
def test_invalid_profile_id(seeded, pid):
    msg = refused(seeded, ["models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", pid], input=KEY)
    assert "profile" in msg


def test_unknown_agent(seeded):
    msg = refused(seeded, ["models", "auth", "paste-api-key", "--provider", "openai", "--agent", "ghost"], input=KEY)
    assert msg.startswith('Error: unknown agent "ghost"') and "agents.list" in msg
    msg = refused(seeded, ["models", "status", "--agent", "Bad Agent!"])
    assert msg.startswith('Error: invalid agent id "Bad Agent!"')


@pytest.mark.parametrize("dur", ["soon", "1w", "-1d", "1.d", ""])
def test_invalid_duration(seeded, dur):
    msg = refused(seeded, PASTE + ["--expires-in", dur], input=KEY)
    assert "invalid duration" in msg


def test_config_that_does_not_parse(seeded):
    seeded.config.write_text('{\n  "agents": {\n    "default": main\n  }\n}\n')
    msg = refused(seeded, ["models", "status"])
    assert msg == f"Error: {seeded.config}:3:16: invalid JSON: fix the file or move it aside"
    refused(seeded, PASTE, input=KEY)


def test_tampered_store(seeded):
    raw = bytearray(seeded.store().read_bytes())
    env = json.loads(raw)
    i = raw.index(env["ciphertext"].encode()) + 10
    raw[i] = ord("A") if raw[i] != ord("A") else ord("B")
    seeded.store().write_bytes(bytes(raw))
    msg = refused(seeded, ["models", "status"])
    assert str(seeded.store()) in msg and "authentication failed" in msg
    refused(seeded, PASTE, input=KEY)  # a write never replaces a store it cannot open


def test_truncated_store(seeded):
    raw = seeded.store().read_bytes()
    seeded.store().write_bytes(raw[: len(raw) // 2])
    msg = refused(seeded, ["models", "auth", "token", "--provider", "openai"])
    assert str(seeded.store()) in msg


def test_store_copied_to_another_agent(seeded):
    work = seeded.store("work")
    work.parent.mkdir(parents=True)
    shutil.copy(seeded.store(), work)
    msg = refused(seeded, ["models", "status", "--agent", "work"])
    assert str(work) in msg
    refused(seeded, ["models", "auth", "paste-api-key", "--provider", "groq", "--agent", "work"], input=KEY)


def test_wrong_key(seeded):
    key = seeded.dir / "store.key"
    key.write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")
    msg = refused(seeded, ["models", "status"])
    assert "wrong key file" in msg and str(seeded.store()) in msg


def test_missing_key(seeded):
    (seeded.dir / "store.key").unlink()
    msg = refused(seeded, ["models", "status"])
    assert "store.key does not exist" in msg
    assert not (seeded.dir / "store.key").exists()  # never silently made anew


def test_key_readable_by_others(seeded):
    key = seeded.dir / "store.key"
    os.chmod(key, 0o644)
    msg = refused(seeded, ["models", "status"])
    assert msg == f"Error: key file {key} can be read by others: run chmod 600 {key}"


def test_secret_as_argument_refused(seeded):
    msg = refused(seeded, ["models", "auth", "paste-api-key", "--provider", "openai", KEY], code=2)
    assert "secrets are read from stdin" in msg


def test_secret_given_as_profile_id_is_not_echoed(seeded):
    p = seeded.run("models", "auth", "token", "sk-ant-oat01-SecretGivenByMistake-0123456789")
    assert p.returncode == 1 and "invalid profile id" in p.err
    assert "SecretGivenByMistake" not in p.err


def test_stray_secret_arguments_are_masked(seeded):
    secret = "sk-ant-api03-StrayArgument-0123456789"
    for args in (["models", "status", secret], ["store", "export", secret], [secret],
                 ["models", "auth", "order", "get", "--provider", "openai", secret]):
        p = seeded.run(*args)
        assert p.returncode == 2 and "StrayArgument" not in p.err, args
