"""SPEC 12 masks: no view shows more than a quarter of a secret. 8 + 8
characters from 64, 4 + 4 from 32, nothing under 32, in every place a
secret is shown: `models status` (text, JSON, live checks), `models auth
list` (text, JSON) and the mount's status files. Each secret makes the
fake provider answer 401 with the secret echoed in its message, so the
probe message is checked too."""
import hashlib
import json

import pytest

LENGTHS = [16, 31, 32, 63, 64]
P = "agents/main/profiles/acme"


def secret(n):
    """A made-up secret of exactly n characters, unlike any other text."""
    h = hashlib.sha256(str(n).encode()).hexdigest() * 2
    return (h[:5] + "-f401-" + h[5:])[:n]


def shown_ends(n):
    return 8 if n >= 64 else 4 if n >= 32 else 0


def mask(s):
    k = shown_ends(len(s))
    return s[:k] + "..." + s[-k:] if k else "(hidden)"


def assert_quarter(text, where):
    """Exactly the mask is shown, and no run of the secret longer than the
    ends the rule allows appears anywhere."""
    for n in LENGTHS:
        s = secret(n)
        run = max(shown_ends(n), 4) + 1
        assert mask(s) in text, (where, n)
        leaked = [s[i:i + run] for i in range(len(s) - run + 1) if s[i:i + run] in text]
        assert not leaked, (where, n, leaked)
        assert shown_ends(n) * 2 <= n / 4


@pytest.fixture
def acme(state):
    state.write_config({"models": {"providers": {"acme": {"baseUrl": state.fake.url}}}})
    for n in LENGTHS:
        state.paste("acme", secret(n), "--profile-id", f"len{n}")
    return state


def test_models_status_masks_by_length(acme):
    p = acme.run("models", "status")
    assert p.returncode == 0, p.err
    assert_quarter(p.out + p.err, "models status")
    j = acme.run("models", "status", "--json").out
    assert_quarter(j, "models status --json")
    shown = {e["id"]: e["secret"] for prov in json.loads(j)["auth"]["providers"] for e in prov["profiles"]}
    assert shown == {f"acme:len{n}": mask(secret(n)) for n in LENGTHS}


def test_models_status_probe_masks_echoed_secret(acme):
    p = acme.run("models", "status", "--probe", "--probe-timeout", "3000")
    assert p.returncode == 0, p.err
    assert "invalid x-api-key" in p.out  # the provider's message is shown, masked
    assert_quarter(p.out, "models status --probe")
    j = acme.run("models", "status", "--probe", "--probe-timeout", "3000", "--json").out
    for e in json.loads(j)["probes"]:
        s = secret(int(e["profile"].split("len")[1]))
        assert e["probe_message"] == "invalid x-api-key " + mask(s)


def test_auth_list_masks_by_length(acme):
    p = acme.run("models", "auth", "list")
    assert p.returncode == 0, p.err
    assert_quarter(p.out, "models auth list")
    rows = json.loads(acme.run("models", "auth", "list", "--json").out)
    assert {r["id"]: r["secret"] for r in rows} == {f"acme:len{n}": mask(secret(n)) for n in LENGTHS}


def test_env_credential_masked(state):
    for n in LENGTHS:
        p = state.run("models", "status", env={"OPENROUTER_API_KEY": secret(n)})
        assert f"env=OPENROUTER_API_KEY:{mask(secret(n))}" in p.out
        assert secret(n)[:max(shown_ends(n), 4) + 1] not in p.out


def test_status_files_mask_by_length(acme, mount):
    m = mount()
    text = (m / f"{P}/status").read_text()
    assert_quarter(text, "status")
    assert_quarter((m / f"{P}/status.json").read_text(), "status.json")
    for n in LENGTHS:
        one = (m / f"{P}/len{n}/status").read_text()
        assert f"secret: {mask(secret(n))}\n" in one
        assert f"probe_message: invalid x-api-key {mask(secret(n))}\n" in one
