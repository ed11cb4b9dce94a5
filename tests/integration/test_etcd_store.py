"""One agent's sealed store in etcd (store/etcd_store.c) against a real
cluster, through tests/drivers/etcd_driver.c: sealing bound to the etcd
key, CAS writes from racing hosts, and the fleet-wide refresh lock against
the fake provider. Every secret is made up."""
import base64
import errno
import json
import os
import subprocess
import time

import pytest

from test_etcd_client import DRIVER


@pytest.fixture
def host(tmp_path, etcd, request):
    """The environment of one 'host': the shared store key, the cluster, a
    prefix of this test's own."""
    key = tmp_path / "store.key"
    prefix = f"/nova-{request.node.name[:40]}"

    def env(**kw):
        return {**{k: v for k, v in os.environ.items() if not k.startswith("ETCD_")},
                "ETCD_ENDPOINTS": etcd.endpoints_env, "ETCD_STORE_KEY": str(key), "ETCD_PREFIX": prefix, **kw}
    env.prefix = prefix
    env.key = key
    return env


def run(env, *args, timeout=60):
    return subprocess.run([DRIVER, *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_store_is_sealed_under_prefix_agents_id_store(host, etcd):
    p = run(host(), "sealed-put", "main", "anthropic:default",
            json.dumps({"type": "api_key", "provider": "anthropic", "key": "sk-ant-made-up-0123456789"}))
    assert p.returncode == 0, p.stderr
    raw = etcd.get(f"{host.prefix}/agents/main/store")
    assert raw and json.loads(raw)["format"] == "nova-engine-sealed/1"
    assert b"made-up" not in raw
    doc = json.loads(run(host(), "sealed-get", "main").stdout)
    assert doc["profiles"]["anthropic:default"]["key"] == "sk-ant-made-up-0123456789"


def test_an_envelope_copied_to_another_key_does_not_open(host, etcd):
    assert run(host(), "sealed-add", "main", "w", "1").returncode == 0
    etcd.put(f"{host.prefix}/agents/other/store", etcd.get(f"{host.prefix}/agents/main/store"))
    p = run(host(), "sealed-get", "other")
    assert p.returncode == errno.EBADMSG
    assert f"etcd:{host.prefix}/agents/other/store" in p.stderr


def test_a_host_with_another_key_is_told_to_share_the_key(host, tmp_path):
    assert run(host(), "sealed-add", "main", "w", "1").returncode == 0
    p = run(host(ETCD_STORE_KEY=str(tmp_path / "other.key")), "sealed-get", "main")
    assert p.returncode == errno.ENOKEY
    assert "but this host's store key is" in p.stderr
    assert p.stderr.rstrip().endswith("every host needs the same store.key")


def test_plaintext_in_etcd_is_refused(host, etcd):
    etcd.put(f"{host.prefix}/agents/main/store", '{"version":1,"profiles":{}}')
    p = run(host(), "sealed-get", "main")
    assert p.returncode == errno.EBADMSG
    assert "is not a sealed store: only sealed envelopes belong in etcd" in p.stderr


def test_three_hosts_times_200_concurrent_writes_lose_nothing(host):
    # each host talks to a different member first
    eps = host()["ETCD_ENDPOINTS"].split(",")
    procs = [subprocess.Popen([DRIVER, "sealed-add", "main", f"h{i}", "200"], stderr=subprocess.PIPE, text=True,
                              env=host(ETCD_ENDPOINTS=",".join(eps[i:] + eps[:i])))
             for i in range(3)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errs
    doc = json.loads(run(host(), "sealed-get", "main").stdout)
    assert len(doc["profiles"]) == 600
    assert all(f"h{i}:p{n}" in doc["profiles"] for i in range(3) for n in range(200))


def expired_oauth(refresh):
    return json.dumps({"type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789abcdef",
                       "refresh": refresh, "expires": int(time.time() * 1000) - 60_000})


def test_three_hosts_racing_to_refresh_make_one_refresh_call(host, fake):
    url = fake.url + "/v1/oauth/token"
    fake.refresh_delay = 0.2  # widen the window the lock must cover
    try:
        for round_ in range(10):
            refresh = f"ref-test-race-{round_:03d}-padding-0123456789"
            fake.add_refresh_token(refresh)
            assert run(host(), "sealed-put", "main", "anthropic:me", expired_oauth(refresh)).returncode == 0
            before = fake.refresh_calls
            procs = [subprocess.Popen([DRIVER, "refresh", "main", "anthropic:me", url], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=host()) for _ in range(3)]
            outs = [p.communicate(timeout=60) for p in procs]
            assert [p.returncode for p in procs] == [0, 0, 0], outs
            assert sorted(o[0].strip() for o in outs) == ["fresh", "fresh", "refreshed"], outs
            assert fake.refresh_calls - before == 1, f"round {round_}"
            doc = json.loads(run(host(), "sealed-get", "main").stdout)
            assert doc["profiles"]["anthropic:me"]["refresh"] != refresh
    finally:
        fake.refresh_delay = 0.0


def test_refresh_keeps_a_write_made_while_it_waited(host, fake):
    url = fake.url + "/v1/oauth/token"
    refresh = "ref-test-keep-0123456789-padding"
    fake.add_refresh_token(refresh)
    assert run(host(), "sealed-put", "main", "anthropic:me", expired_oauth(refresh)).returncode == 0
    fake.refresh_delay = 1.0
    try:
        r = subprocess.Popen([DRIVER, "refresh", "main", "anthropic:me", url], stdout=subprocess.PIPE, text=True,
                             env=host())
        time.sleep(0.5)
        assert run(host(), "sealed-add", "main", "w", "1").returncode == 0  # lands during the refresh
        assert r.communicate(timeout=30)[0].strip() == "refreshed"
    finally:
        fake.refresh_delay = 0.0
    doc = json.loads(run(host(), "sealed-get", "main").stdout)
    assert "w:p0" in doc["profiles"]
    assert doc["profiles"]["anthropic:me"]["access"] != "acc-test-old-0123456789abcdef"
