"""SPEC 12: input checked as a person would check it, in the CLI and in the
mount alike: a mistyped provider, a key too short to be real, a pasted
value still wrapped in its quotes, and profile names outside
[A-Za-z0-9._@+-]{1,128} are refused with the reason, and nothing changes."""
import errno
import os

import pytest

P = "agents/main/profiles"
ANTHROPIC_KEY = "sk-ant-api03-InputCheckTestOnly-0123456789abcdefghij"


def refused(state, args, secret, msg):
    p = state.run("models", "auth", *args, input=secret + "\n")
    assert p.returncode == 1, p.out
    assert p.err == f"Error: {msg}\n"
    assert secret.strip("\"'") not in p.out + p.err or len(secret) < 8
    assert not state.store().exists()  # nothing stored


def test_mistyped_provider_gets_the_nearest_name(state):
    refused(state, ["paste-api-key", "--provider", "anthropc"], ANTHROPIC_KEY,
            'unknown provider "anthropc": did you mean anthropic? '
            "(a provider of your own: declare it in the config under models.providers.anthropc)")
    p = state.run("models", "auth", "token", "--provider", "opnai")
    assert p.returncode == 1 and "did you mean openai?" in p.err
    p = state.run("models", "auth", "order", "get", "--provider", "frobnicator")
    assert p.returncode == 1 and "use one of anthropic, openai" in p.err


def test_provider_declared_in_config_is_accepted(state):
    state.write_config({"models": {"providers": {"anthropc": {"baseUrl": state.fake.url}}}})
    state.paste("anthropc", ANTHROPIC_KEY)
    state.write_config({"auth": {"profiles": {"my-llm:a": {"provider": "my-llm", "mode": "api_key"}}}})
    state.paste("my-llm", "local-key-0001", "--profile-id", "a")
    assert state.run("models", "auth", "token", "my-llm:a").out == "local-key-0001\n"


def test_key_shorter_than_any_real_key_refused(state):
    refused(state, ["paste-api-key", "--provider", "anthropic"], "abc",
            "API key is too short for anthropic (3 characters; its keys have at least 40): paste the whole value")
    refused(state, ["paste-token", "--provider", "openai"], "sk-proj-cut-off",
            "token is too short for openai (15 characters; its keys have at least 32): paste the whole value")


@pytest.mark.parametrize("quoted", [f'"{ANTHROPIC_KEY}"', f"'{ANTHROPIC_KEY}'", f'"{ANTHROPIC_KEY}', f"{ANTHROPIC_KEY}'"])
def test_quoted_paste_refused(state, quoted):
    refused(state, ["paste-api-key", "--provider", "anthropic"], quoted,
            "API key is wrapped in quotes: paste the value without them")


@pytest.mark.parametrize("name", ["my key", "work;rm", "caf\u00e9", "a\x1b[2J", "x" * 129, "a/b"])
def test_profile_names_outside_the_set_refused(state, name):
    p = state.run("models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", name,
                  input=ANTHROPIC_KEY + "\n")
    assert p.returncode == 1 and "invalid profile name" in p.err and "\x1b" not in p.err
    assert not state.store().exists()


def test_profile_names_in_the_set_accepted(state):
    state.paste("anthropic", ANTHROPIC_KEY, "--profile-id", "me+work@example.com")
    state.paste("anthropic", ANTHROPIC_KEY, "--profile-id", "team.A_1-2")
    out = state.run("models", "auth", "list").out
    assert "anthropic:me+work@example.com" in out and "anthropic:team.A_1-2" in out


def test_the_mount_checks_the_same(state, mount):
    m = mount()
    token = m / f"{P}/anthropic/token"
    for bad in ("abc\n", f'"{ANTHROPIC_KEY}"\n', f"'{ANTHROPIC_KEY}'\n"):
        with pytest.raises(OSError) as e:
            token.write_text(bad)
        assert e.value.errno == errno.EINVAL, bad
    assert not state.store().exists()
    for name in ("my key", "work;rm", "caf\u00e9", "a\x1b[2J"):
        with pytest.raises(OSError) as e:
            os.mkdir(m / f"{P}/anthropic/{name}")
        assert e.value.errno == errno.EINVAL, name
    with pytest.raises(OSError) as e:
        os.mkdir(m / f"{P}/anthropc")
    assert e.value.errno == errno.EINVAL
    os.mkdir(m / f"{P}/anthropic/me+work@example.com")
    (m / f"{P}/anthropic/me+work@example.com/token").write_text(ANTHROPIC_KEY + "\n")
    assert state.run("models", "auth", "token", "anthropic:me+work@example.com").out == ANTHROPIC_KEY + "\n"
