"""The mounted filesystem (SPEC 11), through real FUSE mounts."""
import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import SETUP_TOKEN, is_dead_mount, wait_for

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvw"
KEY2 = "sk-test-second-key-abcdefghijklmnopqrstuv"
P = "agents/main/profiles"


def sh(cmd, **kw):
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30, **kw)


def err_of(fn):
    with pytest.raises(OSError) as e:
        fn()
    return e.value.errno


@pytest.fixture
def fs(state, mount):
    state.paste("openai", KEY)
    return mount()


def test_tree_and_modes(fs):
    def mode(rel):
        return stat.S_IMODE(os.stat(fs / rel).st_mode)
    assert sorted(os.listdir(fs.path)) == [".nova-engine", "agents"]
    assert os.listdir(fs / "agents") == ["main"]
    assert mode("agents/main") == 0o700
    assert mode(f"{P}/openai") == 0o700
    assert mode(f"{P}/openai/token") == 0o600
    assert mode(f"{P}/openai/order") == 0o600
    assert mode(f"{P}/openai/status") == 0o400  # 0440 only with --gid
    assert mode("agents") == 0o700 and mode(".nova-engine/metrics") == 0o400
    assert mode("agents/main/auth-profiles.json") == 0o400
    assert {"anthropic", "openai", "openrouter", "google"} <= set(os.listdir(fs / P))
    assert sorted(os.listdir(fs / f"{P}/openai")) == ["default", "order", "status", "status.json", "token"]
    assert sorted(os.listdir(fs / f"{P}/openai/default")) == ["health", "status", "status.json", "token"]
    assert (fs / ".nova-engine/version").read_text().startswith("nova-engine ")
    st = os.stat(fs / f"{P}/openai/token")
    assert st.st_uid == os.getuid() and st.st_size == len(KEY) + 1


def test_ls_la_shows_real_sizes(fs):
    out = sh(f"ls -la {fs / P}/openai").stdout
    line = [l for l in out.splitlines() if l.endswith(" token")][0]
    assert line.startswith("-rw-------") and f" {len(KEY) + 1} " in line


def test_cat_token_small_and_large_reads(fs):
    tok = fs / f"{P}/openai/token"
    assert sh(f"cat {tok}").stdout == KEY + "\n"
    assert sh(f"dd if={tok} bs=1 status=none").stdout == KEY + "\n"
    assert sh(f"dd if={tok} bs=4096 status=none").stdout == KEY + "\n"
    reads = {tok.read_text() for _ in range(100)}
    assert reads == {KEY + "\n"}


def test_one_open_reads_one_snapshot(fs, state):
    tok = fs / f"{P}/openai/token"
    with open(tok, "rb", buffering=0) as f:
        first = f.read(5)
        state.paste("openai", KEY2)
        rest = f.read()
    assert first + rest == (KEY + "\n").encode()
    assert tok.read_text() == KEY2 + "\n"


@pytest.mark.parametrize("how", ["echo", "printf", "cp", "tee", "python"])
def test_writes_store_the_token(fs, state, tmp_path, how):
    tok = fs / f"{P}/openai/token"
    src = tmp_path / "src"
    src.write_text(KEY2 + "\n")
    cmd = {
        "echo": f"echo {KEY2} > {tok}",
        "printf": f"printf %s {KEY2} > {tok}",
        "cp": f"cp {src} {tok}",
        "tee": f"tee {tok} < {src} > /dev/null",
        "python": f"/usr/bin/python3 -c 'open(\"{tok}\", \"w\").write(\"{KEY2}\")'",
    }[how]
    r = sh(cmd)
    assert r.returncode == 0, r.stderr
    assert tok.read_text() == KEY2 + "\n"
    assert state.run("models", "auth", "token", "openai:default").out == KEY2 + "\n"


def test_bad_write_is_einval_and_changes_nothing(fs, state):
    before = state.store().read_bytes()
    r = sh(f"echo 'has a space' > {fs / P}/openai/token")
    assert r.returncode == 1 and "write error: Invalid argument" in r.stderr
    r = sh(f"echo '' > {fs / P}/openai/token")
    assert r.returncode == 1
    assert state.store().read_bytes() == before


def test_oversize_write_is_efbig(fs, state):
    before = state.store().read_bytes()
    with open(fs / f"{P}/openai/token", "wb", buffering=0) as f:
        with pytest.raises(OSError) as e:
            f.write(b"a" * (17 * 1024))
    assert e.value.errno == errno.EFBIG
    assert state.store().read_bytes() == before


def test_a_refused_write_refuses_what_came_before_it(fs, state):
    """An EFBIG or a hole fails the write and the whole value: the valid
    start written before it is not stored at close."""
    tok = fs / f"{P}/openai/token"
    before = state.store().read_bytes()
    for bad, code in ((lambda fd: os.pwrite(fd, b"x" * (17 * 1024), len(KEY2)), errno.EFBIG),
                      (lambda fd: os.pwrite(fd, b"x", len(KEY2) + 10), errno.EINVAL)):
        fd = os.open(tok, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, KEY2.encode())
        assert err_of(lambda: bad(fd)) == code
        assert err_of(lambda: os.write(fd, b"more")) == code  # the handle stays refused
        os.close(fd)
        assert tok.read_text() == KEY + "\n"
        assert state.store().read_bytes() == before


def test_ftruncate_to_the_written_length_is_accepted(fs, state, tmp_path):
    """rsync --inplace ends with ftruncate(fd, bytes written)."""
    tok = fs / f"{P}/openai/token"
    fd = os.open(tok, os.O_WRONLY)
    os.write(fd, (KEY2 + "\n").encode())
    assert err_of(lambda: os.ftruncate(fd, 5)) == errno.EINVAL
    os.ftruncate(fd, len(KEY2) + 1)
    os.close(fd)
    assert tok.read_text() == KEY2 + "\n"
    if shutil.which("rsync"):
        src = tmp_path / "src"
        src.write_text(KEY + "\n")
        r = sh(f"rsync -I --inplace {src} {tok}")
        assert r.returncode == 0, r.stderr
        assert tok.read_text() == KEY + "\n"
    assert err_of(lambda: os.truncate(tok, 5)) == errno.EINVAL


def test_a_long_order_is_checked_whole(fs, state):
    """Every id counts, however many: the 257th was dropped unchecked."""
    state.paste("openai", KEY2, "--profile-id", "openai:work")
    order = fs / f"{P}/openai/order"
    before = state.store().read_bytes()
    r = sh(f"echo {' '.join(['default'] * 256)} bogus > {order}")
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert state.store().read_bytes() == before
    assert sh(f"echo {' '.join(['default'] * 300)} work > {order}").returncode == 0
    assert order.read_text() == "openai:default\nopenai:work\n"


def test_truncate_only_changes_nothing_and_append_refused(fs, state):
    tok = fs / f"{P}/openai/token"
    before = state.store().read_bytes()
    assert sh(f": > {tok}").returncode == 0
    assert tok.read_text() == KEY + "\n"
    r = sh(f"echo x >> {tok}")
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    assert state.store().read_bytes() == before


def test_rm_token_deletes(fs, state):
    os.unlink(fs / f"{P}/openai/token")
    assert "openai:default" not in state.run("models", "auth", "list").out
    assert err_of(lambda: (fs / f"{P}/openai/token").read_text()) == errno.ENOKEY


def test_rm_token_while_a_process_holds_it_open(fs, state):
    """libfuse hid an open file by renaming it (refused: EPERM), so rm of a
    token a reader or writer held open failed and deleted nothing."""
    state.paste("openai", KEY2, "--profile-id", "work")
    tok = fs / f"{P}/openai/work/token"
    reader = os.open(tok, os.O_RDONLY)
    os.unlink(tok)
    assert "openai:work" not in state.run("models", "auth", "list").out
    assert err_of(lambda: os.read(reader, 100)) == errno.ENOENT
    os.close(reader)
    writer = os.open(fs / f"{P}/openai/token", os.O_WRONLY | os.O_TRUNC)
    os.unlink(fs / f"{P}/openai/token")
    os.write(writer, KEY2.encode())
    os.ftruncate(writer, len(KEY2))
    os.close(writer)  # what was written between open and close is stored at close
    assert (fs / f"{P}/openai/token").read_text() == KEY2 + "\n"
    assert os.path.ismount(fs.path) and sh(f"rmdir {fs / P}/openai/work").returncode == 0


def test_rm_r_of_a_profile_directory_made_with_mkdir(fs, state):
    """Its listed token held nothing: unlink said ENOENT and rm -r stopped."""
    os.mkdir(fs / f"{P}/openai/spare")
    r = sh(f"rm -r {fs / P}/openai/spare")
    assert r.returncode == 0, r.stderr
    assert "spare" not in os.listdir(fs / f"{P}/openai")
    assert (fs / f"{P}/openai/token").read_text() == KEY + "\n"
    assert err_of(lambda: os.unlink(fs / f"{P}/groq/token")) == errno.ENOENT  # nothing to delete there


def test_cp_a_of_an_owner_only_file(fs, state, tmp_path):
    """cp -a / --preserve set the mode after writing: that chmod failed
    (exit 1) though the value was stored. Setting what is shown is a
    no-op; any other mode or owner is still EPERM."""
    tok = fs / f"{P}/openai/token"
    src = tmp_path / "key"
    src.write_text(KEY2 + "\n")
    src.chmod(0o600)
    for how in ("cp -a", "cp --preserve=mode,ownership,timestamps"):
        r = sh(f"{how} {src} {tok}")
        assert r.returncode == 0, (how, r.stderr)
    assert tok.read_text() == KEY2 + "\n"
    assert err_of(lambda: os.chmod(tok, 0o644)) == errno.EPERM
    assert err_of(lambda: os.chmod(fs / f"{P}/openai", 0o755)) == errno.EPERM
    os.chmod(fs / f"{P}/openai", 0o700)
    assert err_of(lambda: os.chown(tok, 12345, -1)) == errno.EPERM
    os.chown(tok, os.getuid(), -1)
    assert stat.S_IMODE(os.stat(tok).st_mode) == 0o600


def test_enokey_and_ekeyexpired(fs, state):
    assert err_of(lambda: (fs / f"{P}/groq/token").read_text()) == errno.ENOKEY
    r = sh(f"cat {fs / P}/groq/token")
    assert "Required key not available" in r.stderr
    later = int(time.time() * 1000) + 1000
    cred = json.dumps({"type": "token", "token": SETUP_TOKEN, "expires": later})
    (fs / f"{P}/anthropic/token").write_text(cred)
    time.sleep(1.1)
    assert err_of(lambda: (fs / f"{P}/anthropic/token").read_text()) == errno.EKEYEXPIRED


def test_oauth_json_credential_goes_in_through_the_mount(fs, state):
    cred = {"type": "oauth", "access": "acc-test-1234567890", "refresh": "ref-test-1234567890",
            "expires": int(time.time() * 1000) + 86400000 * 3}
    (fs / f"{P}/anthropic/token").write_text(json.dumps(cred) + "\n")
    assert (fs / f"{P}/anthropic/token").read_text() == "acc-test-1234567890\n"
    j = json.loads(state.run("store", "export").out)
    assert j["profiles"]["anthropic:default"]["refresh"] == "ref-test-1234567890"


def test_order_file(fs, state):
    state.paste("openai", KEY2, "--profile-id", "backup")
    order = fs / f"{P}/openai/order"
    assert sh(f"echo 'backup openai:default' > {order}").returncode == 0
    assert order.read_text() == "openai:backup\nopenai:default\n"
    assert (fs / f"{P}/openai/token").read_text() == KEY2 + "\n"
    assert "Order override: openai:backup, openai:default" in state.run("models", "auth", "order", "get", "--provider", "openai").out
    r = sh(f"echo 'ghost' > {order}")
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert sh(f": > {order}").returncode == 0
    assert "Order override: (none)" in state.run("models", "auth", "order", "get", "--provider", "openai").out


def test_a_refused_order_write_keeps_the_override(fs, state):
    """A shell's '> order' closes a copy of the file (a flush) before echo
    writes: that truncation cleared the override, and the refused line
    then left it cleared."""
    state.paste("openai", KEY2, "--profile-id", "backup")
    order = fs / f"{P}/openai/order"
    assert sh(f"echo 'backup default' > {order}").returncode == 0
    for bad in ("echo ghost", "echo anthropic:default", "echo backup ghost"):
        r = sh(f"{bad} > {order}")
        assert r.returncode == 1 and "Invalid argument" in r.stderr, bad
        assert order.read_text() == "openai:backup\nopenai:default\n", bad
        assert "Order override: openai:backup, openai:default" in \
            state.run("models", "auth", "order", "get", "--provider", "openai").out
    assert sh(f"echo default > {order}").returncode == 0
    assert order.read_text() == "openai:default\n"
    assert sh(f": > {order}").returncode == 0
    assert "Order override: (none)" in state.run("models", "auth", "order", "get", "--provider", "openai").out


def test_status_files(fs):
    text = (fs / f"{P}/openai/status").read_text()
    assert "profile: openai:default\n" in text and "state: static\n" in text and "next: true\n" in text
    assert KEY not in text and (KEY[:4] + "..." + KEY[-4:]) in text
    j = json.loads((fs / f"{P}/openai/status.json").read_text())
    assert j[0]["profile"] == "openai:default" and j[0]["state"] == "static"
    one = json.loads((fs / f"{P}/openai/default/status.json").read_text())
    assert one["profile"] == "openai:default"


def test_health_file(fs, state):
    h = fs / f"{P}/openai/default/health"
    assert "cooldown: none" in h.read_text()
    assert sh(f"echo 'failure rate_limit' > {h}").returncode == 0
    assert "cooldown: 1m" in h.read_text() or "cooldown: 0m" in h.read_text()
    r = sh(f"echo 'failure sleepy' > {h}")
    assert r.returncode == 1
    assert sh(f"echo good > {h}").returncode == 0
    assert "cooldown: none" in h.read_text()


def test_auth_profiles_json_view_is_read_only(fs):
    view = fs / "agents/main/auth-profiles.json"
    assert json.loads(view.read_text())["profiles"]["openai:default"]["key"] == KEY
    assert err_of(lambda: view.write_text("{}")) == errno.EACCES


def test_unknown_names_enoent(fs):
    for rel in ["nope", "agents/ghost", f"{P}/openai/nope/token", f"{P}/Bad Name", "agents/main/nope"]:
        assert err_of(lambda: os.stat(fs / rel)) == errno.ENOENT, rel


def test_file_manager_probes_do_not_touch_the_store(fs, state):
    # a damaged store makes every store read fail with EBADMSG: the probes
    # below still answer ENOENT, so they never read it
    raw = bytearray(state.store().read_bytes())
    raw[-20] = ord("A") if raw[-20] != ord("A") else ord("B")
    state.store().write_bytes(bytes(raw))
    for name in [".hidden", ".Trash-0", ".Trash-1000", "desktop.ini", ".directory"]:
        assert err_of(lambda: os.stat(fs / P / name)) == errno.ENOENT, name
        assert err_of(lambda: os.stat(fs / P / "openai" / name)) == errno.ENOENT, name
    assert err_of(lambda: os.stat(fs / P / "someprovider")) == errno.EBADMSG


def test_mkdir_rmdir_profiles_and_providers(fs, state):
    os.mkdir(fs / f"{P}/openai/spare")
    assert "spare" in os.listdir(fs / f"{P}/openai")
    assert err_of(lambda: (fs / f"{P}/openai/spare/token").read_text()) == errno.ENOENT
    (fs / f"{P}/openai/spare/token").write_text(KEY2 + "\n")
    assert "openai:spare" in state.run("models", "auth", "list").out
    assert err_of(lambda: os.rmdir(fs / f"{P}/openai/spare")) == errno.ENOTEMPTY
    assert err_of(lambda: os.unlink(fs / f"{P}/openai/spare/status")) == errno.EPERM
    assert sh(f"rm -r {fs / P}/openai/spare").returncode == 0
    assert "openai:spare" not in state.run("models", "auth", "list").out
    assert "spare" not in os.listdir(fs / f"{P}/openai")
    # a provider of one's own must be declared in the config (a typo is not one)
    assert err_of(lambda: os.mkdir(fs / f"{P}/my-llm")) == errno.EINVAL
    state.write_config({"models": {"providers": {"my-llm": {"baseUrl": state.fake.url}}}})
    for pid in fs.pid():
        os.kill(pid, signal.SIGHUP)
    wait_for(lambda: not sh(f"mkdir {fs / P}/my-llm").returncode)
    (fs / f"{P}/my-llm/token").write_text("sk-test-custom-provider\n")
    assert state.run("models", "auth", "token", "--provider", "my-llm").out == "sk-test-custom-provider\n"
    assert err_of(lambda: os.rmdir(fs / f"{P}/my-llm")) == errno.ENOTEMPTY
    assert err_of(lambda: os.rmdir(fs / f"{P}/openai")) == errno.ENOTEMPTY
    assert err_of(lambda: os.mkdir(fs / f"{P}/openai/status")) == errno.EEXIST
    assert err_of(lambda: os.mkdir(fs / "agents/newagent")) == errno.EPERM


def test_find_rsync_tar_over_the_tree(fs, tmp_path):
    r = sh(f"find {fs.path} -type f | sort")
    assert r.returncode == 0 and f"{fs.path}/{P}/openai/token" in r.stdout
    r = sh(f"rsync -a {fs.path}/agents/main/profiles/openai/ {tmp_path}/copy/")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "copy/token").read_text() == KEY + "\n"
    r = sh(f"tar cf {tmp_path}/t.tar -C {fs.path} agents/main/profiles/openai")
    assert r.returncode == 0, r.stderr
    assert "agents/main/profiles/openai/token" in sh(f"tar tf {tmp_path}/t.tar").stdout


def test_cli_change_shows_in_mount_within_a_second(fs, state):
    state.paste("openai", KEY2, "--profile-id", "fresh")
    deadline = time.time() + 1.0
    while "fresh" not in os.listdir(fs / f"{P}/openai"):
        assert time.time() < deadline
        time.sleep(0.05)
    state.paste("openai", KEY2)
    assert (fs / f"{P}/openai/default/token").read_text() == KEY2 + "\n"


def test_mount_change_is_what_status_prints(fs, state):
    (fs / f"{P}/anthropic/token").write_text(SETUP_TOKEN + "\n")
    out = state.run("models", "status").out
    assert "effective=profile:anthropic:default" in out
    assert SETUP_TOKEN[:8] + "..." + SETUP_TOKEN[-8:] in out


def test_read_only_mount(state, mount):
    state.paste("openai", KEY)
    m = mount("--read-only")
    assert (m / f"{P}/openai/token").read_text() == KEY + "\n"
    assert err_of(lambda: (m / f"{P}/openai/token").write_text(KEY2)) == errno.EROFS
    assert err_of(lambda: os.unlink(m / f"{P}/openai/token")) == errno.EROFS
    assert err_of(lambda: os.mkdir(m / f"{P}/openai/x")) == errno.EROFS


def as_user(uid, cmd):
    return sh(f"setpriv --reuid={uid} --regid={uid} --clear-groups {cmd}")


def test_other_users_kept_out_without_allow_other(fs):
    r = as_user(65534, f"ls {fs.path}")
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_container_path_allow_other_uid(state, mount, tmp_path):
    state.paste("openai", KEY)
    m = mount("--allow-other", "--uid", "1234", "--gid", "1234")
    assert os.stat(m / "agents/main").st_uid == 1234
    # a container sees its own path; pytest's tmp dirs are root-only, so
    # the bind target sits in a directory uid 1234 can traverse
    import tempfile
    import pathlib
    target = pathlib.Path(tempfile.mkdtemp(prefix="nv-container-"))
    os.chmod(target, 0o755)
    script = (f"mount --bind {m.path}/agents/main {target} && "
              f"setpriv --reuid=1234 --regid=1234 --clear-groups cat {target}/profiles/openai/token && "
              f"! setpriv --reuid=4321 --regid=4321 --clear-groups cat {target}/profiles/openai/token 2>/dev/null && "
              f"echo refused-other-uid")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == KEY + "\nrefused-other-uid\n"
    assert not os.path.ismount(target)  # the bind lived only in that namespace
    os.rmdir(target)


def test_mount_errors_before_detaching(state, tmp_path):
    r = state.run("mount", str(tmp_path / "missing"))
    assert r.returncode == 1 and "does not exist" in r.err or "No such file" in r.err
    f = tmp_path / "file"
    f.write_text("x")
    r = state.run("mount", str(f))
    assert r.returncode == 1 and "not a directory" in r.err
    state.paste("openai", KEY)
    raw = bytearray(state.store().read_bytes())
    raw[-20] = ord("A") if raw[-20] != ord("A") else ord("B")
    state.store().write_bytes(bytes(raw))
    (tmp_path / "m").mkdir()
    r = state.run("mount", str(tmp_path / "m"))
    assert r.returncode == 1 and str(state.store()) in r.err
    assert not os.path.ismount(tmp_path / "m")


def test_unknown_mount_option_is_an_error_not_a_crash(state, tmp_path):
    # libfuse rejects it in fuse_new, which used to leave us reading the
    # option list it had freed (a segfault, exit 139)
    (tmp_path / "m").mkdir()
    r = state.run("mount", str(tmp_path / "m"), "-o", "bogusopt")
    assert r.returncode == 1, r.err
    errors = [l for l in r.err.splitlines() if l.startswith("Error:")]
    assert errors == ['Error: libfuse refused the mount options "bogusopt" (see its message above): '
                      'fix or drop -o, see mount.fuse3(8)']
    assert not os.path.ismount(tmp_path / "m")


def test_busy_mountpoint_refused(fs, state):
    r = state.run("mount", str(fs.path))
    assert r.returncode == 1 and "busy" in r.err


def test_umount_unmounts_and_the_daemon_exits(fs, state):
    r = state.run("umount", str(fs.path))
    assert (r.returncode, r.err) == (0, "")
    assert not os.path.ismount(fs.path)
    wait_for(lambda: not fs.pid(), timeout=5)


def test_umount_refuses_what_is_not_a_fuse_mount(state, tmp_path):
    r = state.run("umount", str(tmp_path))
    assert (r.returncode, r.err) == (1, f"Error: cannot unmount {tmp_path}: it is not a FUSE mount\n")


def test_umount_of_a_busy_mount_says_what_to_do(fs, state):
    holder = subprocess.Popen(["sleep", "30"], cwd=fs.path)
    try:
        r = state.run("umount", str(fs.path))
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 1
    assert r.err == f"Error: cannot unmount {fs.path}: a process is using it (close it, or run fusermount3 -uz {fs.path})\n"
    assert os.path.ismount(fs.path)


def test_umount_clears_a_dead_mount(fs, state):
    os.kill(fs.pid()[0], signal.SIGKILL)
    wait_for(lambda: is_dead_mount(fs.path) and not fs.pid())  # gone, with every file it held
    r = state.run("umount", str(fs.path))
    assert (r.returncode, r.err) == (0, "")
    assert not is_dead_mount(fs.path) and os.listdir(fs.path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_unmounts_cleanly(fs, sig):
    pids = fs.pid()
    assert len(pids) == 1
    os.kill(pids[0], sig)
    wait_for(lambda: not os.path.ismount(fs.path) and not fs.pid(), timeout=5)
    assert os.listdir(fs.path) == []


def test_sighup_reloads_config_and_env(fs, state):
    assert err_of(lambda: (fs / f"{P}/groq/token").read_text()) == errno.ENOKEY
    (state.dir / ".env").write_text("GROQ_API_KEY=gsk-test-from-dotenv\n")
    os.kill(fs.pid()[0], signal.SIGHUP)
    wait_for(lambda: sh(f"cat {fs / P}/groq/token").stdout == "gsk-test-from-dotenv\n")


def test_kill_9_leaves_enotconn_never_plaintext(fs):
    os.kill(fs.pid()[0], signal.SIGKILL)
    wait_for(lambda: is_dead_mount(fs.path))
    assert err_of(lambda: os.listdir(fs.path)) == errno.ENOTCONN
    subprocess.run(["fusermount3", "-uz", str(fs.path)])
    assert os.listdir(fs.path) == []


def test_log_has_no_secrets(fs):
    sh(f"echo {KEY2} > {fs / P}/openai/token; echo 'bad key' > {fs / P}/openai/token")
    log = fs.log.read_text()
    assert "stored openai:default" in log
    assert KEY2 not in log and KEY not in log


def test_sighup_rereads_a_changed_dotenv_in_the_starting_directory(state, mount):
    (state.cwd / ".env").write_text("GROQ_API_KEY=gsk-test-first-0123\n")
    m = mount()
    assert (m / f"{P}/groq/token").read_text() == "gsk-test-first-0123\n"
    (state.cwd / ".env").write_text("GROQ_API_KEY=gsk-test-second-0123\n")
    os.kill(m.pid()[0], signal.SIGHUP)
    wait_for(lambda: sh(f"cat {m / P}/groq/token").stdout == "gsk-test-second-0123\n")
    (state.cwd / ".env").write_text("\n")
    os.kill(m.pid()[0], signal.SIGHUP)
    wait_for(lambda: "Required key not available" in sh(f"cat {m / P}/groq/token").stderr)


def test_rekey_under_a_running_daemon(state, mount):
    state.paste("openai", KEY)
    m = mount()
    assert (m / f"{P}/openai/token").read_text() == KEY + "\n"
    assert state.run("store", "rekey").returncode == 0
    assert (m / f"{P}/openai/token").read_text() == KEY + "\n"
    (m / f"{P}/openai/token").write_text(KEY2 + "\n")  # sealed with the new key, not the one it loaded
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY2 + "\n"


def test_daemon_refuses_to_store_when_the_key_file_vanished(state, mount):
    state.paste("openai", KEY)
    m = mount()
    (state.dir / "store.key").rename(state.dir / "store.key.bak")
    assert (m / f"{P}/openai/token").read_text() == KEY + "\n"
    r = sh(f"echo {KEY2} > {m / P}/openai/token")
    assert r.returncode == 1 and "Required key not available" in r.stderr
    (state.dir / "store.key.bak").rename(state.dir / "store.key")
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "\n"
    assert "store key missing: restore" in m.log.read_text()


def test_inotify_sees_a_change_made_by_the_cli(state, mount):
    # the process that touches changed files through the mount starts with
    # the first change, not with the mount: the first change must still
    # reach a watcher
    state.paste("openai", KEY)
    m = mount()
    d = m / f"{P}/openai"
    assert (d / "token").read_text() == KEY + "\n"
    w = subprocess.Popen(["inotifywait", "-m", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: "Watches established" in w.stderr.readline(), timeout=5)
        state.paste("openai", KEY2)
        time.sleep(1.0)
    finally:
        w.terminate()
    events = w.communicate(timeout=5)[0].splitlines()
    assert any(line.endswith("ATTRIB token") for line in events), events
    assert (d / "token").read_text() == KEY2 + "\n"
