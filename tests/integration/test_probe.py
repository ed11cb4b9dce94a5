"""Live status probes (SPEC 8) against the fake provider on loopback,
through `cat status` in a real mount and `models status --probe`."""
import json
import os
import signal
import ssl
import subprocess
import threading
import time
from http.server import HTTPServer, BaseHTTPRequestHandler

import pytest

P = "agents/main/profiles"

# (provider, secret fault word, bucket)
CASES = [
    ("anthropic", "ok", "ok"),
    ("anthropic", "f401", "auth"),
    ("anthropic", "f403", "forbidden"),
    ("anthropic", "f402", "billing"),
    ("openai", "quota", "billing"),
    ("anthropic", "f429", "rate_limit"),
    ("anthropic", "f529", "overloaded"),
    ("openai", "f500", "overloaded"),
    ("anthropic", "restricted", "restricted"),
    ("google", "badgoogle", "auth"),
    ("anthropic", "drop", "unreachable"),
    ("anthropic", "hang", "timeout"),
    ("mistral", "f418", "unknown"),
    ("openai", "huge", "overloaded"),   # a 10 MiB answer, cut short
]


def secret(word):
    return f"sk-test-{word}-{word}-0123456789-abcdefghijklmnopqrstuvwxyz"


def setup_cases(state):
    state.write_config({"fs": {"probeTimeoutMs": 800}})
    for provider, word, _ in CASES:
        state.paste(provider, secret(word), "--profile-id", word)


def test_every_bucket_in_models_status_probe(state):
    setup_cases(state)
    p = state.run("models", "status", "--probe", "--probe-timeout", "800", "--json")
    assert p.returncode == 0, p.err
    got = {e["profile"].split(":")[1]: e for e in json.loads(p.out)["probes"]}
    for provider, word, bucket in CASES:
        assert got[word]["probe"] == bucket, (word, got[word])
    assert got["f429"]["retry_after"] == "30"
    assert "Claude Code" in got["restricted"]["probe_message"]
    assert "API key" in got["restricted"]["probe_advice"]
    assert "not judged" in got["hang"]["probe_advice"]
    assert secret("f401") not in p.out  # the provider echoed the key; we masked it
    text = state.run("models", "status", "--probe", "--probe-timeout", "800").out
    assert "Live checks (14" in text
    assert "- anthropic:restricted" in text and "restricted" in text
    assert "retry-after 30s" in text


def test_every_bucket_through_cat_status(state, mount):
    setup_cases(state)
    m = mount()
    for provider, word, bucket in CASES:
        text = (m / f"{P}/{provider}/{word}/status").read_text()
        assert f"probe: {bucket}\n" in text, (word, text)
        one = json.loads((m / f"{P}/{provider}/{word}/status.json").read_text())
        assert one["probe"] == bucket
    assert "retry_after: 30" in (m / f"{P}/anthropic/f429/status").read_text()


def test_openrouter_usage_shown(state, mount):
    state.paste("openrouter", "sk-or-test-usage-0123456789-0123456789abcdef")
    m = mount()
    text = (m / f"{P}/openrouter/status").read_text()
    assert "probe: ok" in text and "limit_remaining: 8.5" in text and "usage: 1.5" in text


def test_listing_and_stat_never_probe(state, mount, fake):
    state.paste("openai", secret("nolook"))
    m = mount()
    before = fake.count(("secret", secret("nolook")))
    os.listdir(m / f"{P}/openai")
    os.stat(m / f"{P}/openai/status")
    os.stat(m / f"{P}/openai/default/status.json")
    subprocess.run(["ls", "-laR", str(m / P)], capture_output=True)
    assert fake.count(("secret", secret("nolook"))) == before


def test_100_cold_readers_make_one_request(state, mount, fake):
    word = f"cold{time.time_ns()}-slow300"
    state.paste("openai", secret(word))
    m = mount()
    path = m / f"{P}/openai/status"
    results = []

    def read():
        results.append(path.read_text())
    threads = [threading.Thread(target=read) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 100 and all("probe: ok" in r for r in results)
    assert fake.count(("secret", secret(word))) == 1


def test_cached_for_ttl_then_probed_again(state, mount, fake):
    state.write_config({"fs": {"probeTtlSeconds": 1}})
    word = f"ttl{time.time_ns()}"
    state.paste("openai", secret(word))
    m = mount()
    for _ in range(5):
        (m / f"{P}/openai/status").read_text()
    assert fake.count(("secret", secret(word))) == 1
    time.sleep(1.1)
    (m / f"{P}/openai/status").read_text()
    assert fake.count(("secret", secret(word))) == 2


def test_stale_result_with_age_when_provider_stops_answering(state, mount, fake):
    state.write_config({"fs": {"probeTtlSeconds": 1, "probeTimeoutMs": 300}})
    word = f"stale{time.time_ns()}"
    state.paste("openai", secret(word))
    m = mount()
    assert "probe: ok" in (m / f"{P}/openai/status").read_text()
    fake.extra[secret(word)] = "-hang-"
    time.sleep(1.1)
    text = (m / f"{P}/openai/status").read_text()
    assert "probe: ok" in text and "probe_stale: true" in text and "probe_age_s: " in text
    assert "probe_stale_reason: the provider could not be checked just now (timeout)" in text


def test_hung_provider_does_not_slow_other_reads(state, mount):
    state.write_config({"fs": {"probeTimeoutMs": 5000}})
    state.paste("openai", secret("hang"))
    state.paste("anthropic", secret("fine"))
    m = mount()
    slow = threading.Thread(target=lambda: (m / f"{P}/openai/status").read_text())
    slow.start()
    time.sleep(0.2)
    t = time.time()
    assert (m / f"{P}/anthropic/token").read_text() == secret("fine") + "\n"
    assert "probe: ok" in (m / f"{P}/anthropic/status").read_text()
    os.listdir(m / f"{P}/openai")
    assert time.time() - t < 1.0
    slow.join(timeout=10)


def test_waiting_read_is_interrupted_by_ctrl_c(state, mount):
    state.write_config({"fs": {"probeTimeoutMs": 20000}})
    state.paste("openai", secret("hang"))
    m = mount()
    # as a shell starts a foreground job: Ctrl-C at its default, whatever
    # this test runner inherited
    p = subprocess.Popen(["cat", str(m / f"{P}/openai/status")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(0.5)
    t = time.time()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)
    assert time.time() - t < 2.0


def test_twenty_profiles_at_300ms_run_in_parallel(state):
    for i in range(20):
        state.paste("openai", secret(f"par{i}-slow300"), "--profile-id", f"p{i}")
    t = time.time()
    p = state.run("models", "status", "--probe", "--probe-concurrency", "20", "--json")
    took = time.time() - t
    probes = json.loads(p.out)["probes"]
    assert len(probes) == 20 and all(e["probe"] == "ok" for e in probes)
    assert took < 1.0, took


def test_default_probe_concurrency_runs_twenty_checks_at_once(state):
    # 20 checks at 300 ms: one wave takes ~300 ms; the old default of 8 at a
    # time needed three waves (>= 900 ms) and sequential checks 6 s
    for i in range(20):
        state.paste("openai", secret(f"dflt{i}-slow300"), "--profile-id", f"p{i}")
    p = state.run("models", "status", "--probe", "--json")
    out = json.loads(p.out)
    assert len(out["probes"]) == 20 and all(e["probe"] == "ok" for e in out["probes"])
    assert out["probeMs"] < 850, out["probeMs"]


def test_chosen_probe_concurrency_is_a_bound(state):
    for i in range(4):
        state.paste("openai", secret(f"bound{i}-slow300"), "--profile-id", f"p{i}")
    out = json.loads(state.run("models", "status", "--probe", "--probe-concurrency", "2", "--json").out)
    assert len(out["probes"]) == 4 and all(e["probe"] == "ok" for e in out["probes"])
    assert out["probeMs"] >= 600, out["probeMs"]  # two waves of two


def test_probe_filters(state):
    state.paste("openai", secret("fa"), "--profile-id", "a")
    state.paste("openai", secret("fb"), "--profile-id", "b")
    state.paste("anthropic", secret("fc"))
    out = json.loads(state.run("models", "status", "--probe", "--probe-provider", "anthropic", "--json").out)
    assert [e["profile"] for e in out["probes"]] == ["anthropic:default"]
    out = json.loads(state.run("models", "status", "--probe", "--probe-profile", "openai:a,anthropic:default",
                               "--probe-profile", "openai:b", "--json").out)
    assert sorted(e["profile"] for e in out["probes"]) == ["anthropic:default", "openai:a", "openai:b"]
    p = state.run("models", "status", "--probe-timeout", "5")
    assert p.returncode == 2 and "go with --probe" in p.err


@pytest.fixture
def tls_server(tmp_path):
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):
            pass
    srv = HTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_tls_is_verified(state, tls_server):
    state.write_config({"models": {"providers": {"openai": {"baseUrl": tls_server}}}})
    state.paste("openai", secret("tls"))
    out = json.loads(state.run("models", "status", "--probe", "--json").out)
    e = out["probes"][0]
    assert e["probe"] == "unreachable", e
    assert "certificate" in e["probe_message"].lower() or "ssl" in e["probe_message"].lower()


def test_a_huge_probe_ttl_caches_rather_than_wrapping_to_zero(state, mount, fake):
    # 1e300 seconds cast to int64 and times 1000 wrapped to 0 (undefined
    # behaviour): every read probed the provider again
    state.write_config({"fs": {"probeTtlSeconds": 1e300}, "auth": {"refreshSkewSeconds": 1e300}})
    word = f"hugettl{time.time_ns()}"
    state.paste("openai", secret(word))
    m = mount()
    for _ in range(3):
        assert "probe: ok" in (m / f"{P}/openai/status").read_text()
    assert fake.count(("secret", secret(word))) == 1
