"""SPEC 12: text from providers, stores, configs and the user reaches a
terminal with its control bytes made visible. The fake provider answers
"-esc-" secrets with a message that would retitle the terminal, clear it
and open a C1 CSI; none of it may come through raw, in any output."""
import json

from fakeprovider import ESCAPES

P = "agents/main/profiles"
SECRET = "sk-test-esc-0123456789abcdefghijklmnopqrstuvwxyz"
SHOWN = "\\x1b]0;PWNED\\a\\x1b[2J\\u009b31m"  # ESCAPES made visible


def raw_controls(text):
    """Characters a terminal would act on: C0 but newline and tab (JSON
    indents with tabs), DEL, C1, bidi."""
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f
            or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]


def test_provider_message_escaped_in_models_status_probe(state):
    state.paste("openai", SECRET)
    p = state.run("models", "status", "--probe", "--probe-timeout", "3000")
    assert p.returncode == 0, p.err
    assert f'"{SHOWN}"' in p.out
    assert raw_controls(p.out + p.err) == []
    j = state.run("models", "status", "--probe", "--probe-timeout", "3000", "--json")
    assert raw_controls(j.out) == []
    assert json.loads(j.out)["probes"][0]["probe_message"] == ESCAPES  # JSON keeps the value exact


def test_provider_message_escaped_in_status_file(state, mount):
    state.paste("openai", SECRET)
    m = mount()
    text = (m / f"{P}/openai/status").read_text()
    assert f"probe_message: {SHOWN}\n" in text
    assert raw_controls(text) == []
    raw = (m / f"{P}/openai/status.json").read_text()
    assert raw_controls(raw) == [] and json.loads(raw)[0]["probe_message"] == ESCAPES


def test_config_strings_escaped(state):
    state.write_config({"models": {"default": "openai/gpt\x1b]0;PWNED\x07",
                                   "aliases": {"fast\x1b[2J": "openai/gpt-4o\u009b"}}})
    for args in (["models", "status"], ["models", "status", "--plain"], ["models", "status", "--json"],
                 ["models", "session", "s1", "/model list"]):
        p = state.run(*args)
        assert raw_controls(p.out + p.err) == [], args
    assert "Default model : openai/gpt\\x1b]0;PWNED\\a\n" in state.run("models", "status").out
    assert state.run("models", "status", "--plain").out == "openai/gpt\\x1b]0;PWNED\\a\n"


def test_profile_email_and_legacy_ids_escaped(state, mount, tmp_path):
    # a plaintext store left by an older install is read as is: its ids
    # and e-mails are whatever it holds
    doc = {"version": 1, "profiles": {
        "openai:evil\x1b[2J": {"type": "api_key", "provider": "openai", "key": SECRET.replace("esc", "ok"),
                               "email": "me\x1b]0;PWNED\x07@example.com"}}}
    state.store().parent.mkdir(parents=True, exist_ok=True)
    state.store().write_text(json.dumps(doc))
    state.store().chmod(0o600)
    for args in (["models", "status"], ["models", "status", "--json"], ["models", "auth", "list"],
                 ["models", "auth", "list", "--json"], ["models", "auth", "order", "get", "--provider", "openai"],
                 ["store", "export"], ["doctor"]):
        p = state.run(*args)
        assert raw_controls(p.out + p.err) == [], args
    assert "openai:evil\\x1b[2J" in state.run("models", "auth", "list").out
    m = mount()
    for f in ("openai/status", "openai/order", "openai/status.json"):
        assert raw_controls((m / f"{P}/{f}").read_text()) == [], f
    assert "profile: openai:evil\\x1b[2J\n" in (m / f"{P}/openai/status").read_text()


def test_user_input_escaped_in_errors(state):
    p = state.run("models", "auth", "list", "--provider", "open\x1b[2Jai")
    assert p.returncode != 0 and "\\x1b[2J" in p.err and raw_controls(p.err) == []
    p = state.run("models", "auth", "token", "openai:x\x1b]0;PWNED\x07")
    assert p.returncode != 0 and raw_controls(p.err) == []


def test_hand_edited_audit_trail_escaped(state):
    """The audit file is the user's to edit: what `audit` prints of it is
    made visible, each field in its place."""
    state.paste("openai", SECRET)
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    line = json.loads((state.dir / "audit.jsonl").read_text().splitlines()[0])
    line["comm"] = ESCAPES
    line["how"] = 7
    (state.dir / "audit.jsonl").write_text(json.dumps(line) + "\n")
    p = state.run("audit")
    assert p.returncode == 0, p.err
    assert raw_controls(p.out) == []
    assert f" comm={SHOWN} exe=" in p.out
    assert " main       openai:default               7                    uid=" in p.out


def test_audit_columns_hold_for_every_way_of_reading(state):
    state.paste("openai", SECRET)
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    line = json.loads((state.dir / "audit.jsonl").read_text().splitlines()[0])
    hows = ["cli:token", "secrets-resolve", "mount:token", "mount:env", "mount:session-token",
            "mount:native/claude", "mount:native/codex"]
    (state.dir / "audit.jsonl").write_text("".join(json.dumps({**line, "how": h}) + "\n" for h in hows))
    rows = state.run("audit").out.splitlines()
    assert len(rows) == len(hows)
    assert len({r.index(" uid=") for r in rows}) == 1, rows
