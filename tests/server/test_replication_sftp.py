"""SFTP to the standby laptop, for real: an OpenSSH server on 127.0.0.1 (only
where /usr/sbin/sshd is installed), Litestream replicating the festival file
to it with a key, the lag measured over SFTP, and a restore from it."""
from __future__ import annotations

import getpass
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from kiosk.ops.replication import Replicator, restore_replica
from tests.support.live import free_port

pytestmark = pytest.mark.server

SSHD = Path("/usr/sbin/sshd")


@pytest.fixture
def sftp_server(tmp_path):
    """(port, client key, host public key) of an sshd serving this user on 127.0.0.1."""
    if not SSHD.exists() or not shutil.which("ssh-keygen"):
        pytest.skip("no OpenSSH server here (apt-get install openssh-server)")
    folder = tmp_path / "ssh"
    folder.mkdir()
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    (folder / "authorized_keys").chmod(0o600)
    port = free_port()
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPasswordAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\n"
        f"PidFile {folder / 'sshd.pid'}\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    proc = subprocess.Popen([str(SSHD), "-f", str(folder / "sshd_config"), "-D", "-e"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    if proc.poll() is not None:
        pytest.skip("sshd could not start here")
    host_key = " ".join((folder / "host.pub").read_text().split()[:2])
    yield port, folder / "client", host_key
    proc.terminate()
    proc.wait(timeout=10)


def test_replica_over_sftp_ships_measures_and_restores(tmp_path, sftp_server):
    port, key, host_key = sftp_server
    db_path = tmp_path / "hub" / "festival.db"
    db_path.parent.mkdir()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.commit()
    url = f"sftp://{getpass.getuser()}@127.0.0.1:{port}{tmp_path / 'standby-replica'}"
    replicator = Replicator(str(db_path), url, str(tmp_path / "hub"), sync_interval="200ms",
                            monitor_interval="200ms", ssh_key=str(key), host_key=host_key)
    replicator.start()
    try:
        for n in range(20):
            conn.execute("INSERT INTO t VALUES (?)", [n])
            conn.commit()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = replicator.check()
            if state["error"] is None and state["replica_txid"] and state["lag_s"] == 0.0:
                break
            time.sleep(0.5)
        assert state["error"] is None and state["replica_txid"] > 0 and state["lag_s"] == 0.0, state
        assert (tmp_path / "standby-replica" / "ltx").is_dir()  # really written through SFTP
        target = tmp_path / "standby" / "festival.db"
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count < 20:
            restore_replica(url, str(target), str(tmp_path / "standby"), ssh_key=str(key), host_key=host_key)
            restored = sqlite3.connect(target)
            count = restored.execute("SELECT COUNT(*) FROM t").fetchone()[0]
            restored.close()
            time.sleep(0.3)
        assert count == 20
    finally:
        replicator.stop()
        conn.close()
