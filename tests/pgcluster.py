"""A private, throw-away PostgreSQL cluster for the store tests and the benchmarks (never for users).

``start()`` runs ``initdb`` and ``pg_ctl start`` in a new temporary directory, listening on a free TCP port on
127.0.0.1 and on a unix socket inside that directory; ``stop()`` kills it and removes the directory.
PostgreSQL refuses to run as root, so when this process is root (CI containers) the server runs as the
``postgres`` user when it exists, else as ``nobody``; the temporary directory is handed to that user.
Debian keeps ``initdb`` off the PATH (``/usr/lib/postgresql/<version>/bin``), so that is searched too.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "perpscope"
_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql*/bin")
_SERVER_USERS = ("postgres", "nobody")


class ClusterError(RuntimeError):
    """The binaries exist but the cluster could not be created or started; the message carries the log."""


@dataclasses.dataclass
class Cluster:
    directory: Path
    bin_dir: Path
    port: int
    user: pwd.struct_passwd | None  # the account the server runs as, when we are root

    @property
    def url(self) -> str:
        """The maintenance database; tests create their own databases from it."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, newest version first; None if absent."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    found = [Path(entry) for pattern in _BIN_GLOBS for entry in glob.glob(pattern)]
    candidates += sorted(found, key=_version_of, reverse=True)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return candidate
    return None


def _version_of(bin_dir: Path) -> int:
    digits = "".join(ch for ch in bin_dir.parent.name if ch.isdigit())
    return int(digits) if digits else 0


def missing_reason() -> str | None:
    """Why a private cluster cannot run here, or None when it can."""
    if find_bin_dir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
            f"{', '.join(_BIN_GLOBS)}; install the 'postgresql' package (.ci/run does)"
        )
    if os.geteuid() == 0 and _server_user() is None:
        return f"running as root and none of the users {_SERVER_USERS} exists to run PostgreSQL as"
    return None


def _server_user() -> pwd.struct_passwd | None:
    for name in _SERVER_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _temporary_root() -> str:
    """The system temporary directory, unless the server user cannot reach it or a socket path would be too
    long there (unix socket paths are limited to about 100 bytes): then ``/tmp``."""
    root = Path(tempfile.gettempdir())
    reachable = all(part.stat().st_mode & 0o001 for part in (root, *root.parents))
    return str(root) if reachable and len(str(root)) < 40 else "/tmp"


def start(*, durable: bool = False, attempts: int = 3) -> Cluster:
    """Create and start a cluster. ``durable=False`` turns fsync off (tests); benchmarks keep the defaults."""
    bin_dir = find_bin_dir()
    reason = missing_reason()
    if bin_dir is None or reason:
        raise ClusterError(reason or "no PostgreSQL binaries")
    user = _server_user() if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="perpscope-pg-", dir=_temporary_root()))
    if user is not None:
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster = Cluster(directory, bin_dir, 0, user)
    try:
        _run(cluster, "initdb", "-D", str(cluster.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale")
        for _ in range(attempts):  # another process may take the free port between the probe and the start
            cluster.port = _free_port()
            if _start_server(cluster, durable):
                return cluster
        raise ClusterError(f"pg_ctl start failed {attempts} times; server log:\n{_tail(cluster.log)}")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _start_server(cluster: Cluster, durable: bool) -> bool:
    options = [
        f"-p {cluster.port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={cluster.directory}",
        "-c max_connections=50",
    ]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    command = ["pg_ctl", "start", "-w", "-t", "60", "-D", str(cluster.data), "-l", str(cluster.log)]
    completed = _call(cluster, *command, "-o", " ".join(options))
    return completed.returncode == 0


def stop(cluster: Cluster) -> None:
    """Kill the server (no clean shutdown: the data is thrown away) and remove its directory."""
    try:
        _call(cluster, "pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(cluster.data))
    finally:
        shutil.rmtree(cluster.directory, ignore_errors=True)


def _call(cluster: Cluster, program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    user = cluster.user
    return subprocess.run(
        [str(cluster.bin_dir / program), *arguments],
        cwd=cluster.directory,  # the server user must be able to read its working directory
        env=environment | ({"HOME": str(cluster.directory)} if user else {}),
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _run(cluster: Cluster, program: str, *arguments: str) -> str:
    completed = _call(cluster, program, *arguments)
    if completed.returncode != 0:
        raise ClusterError(f"{program} failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    return completed.stdout


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def server_version(cluster: Cluster) -> str:
    return _run(cluster, "postgres", "--version").strip()
