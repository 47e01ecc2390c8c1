"""Where ``twidgets sweep`` runs: local worker processes capped to the machine, or a Dask
scheduler reached with every wait bounded.

``--workers N`` is capped at the CPUs this process may use and at the blocks of work
(:func:`cap_workers`): more processes than either only cost memory and start-up time.

For ``--scheduler``, three waits can hang on a bad address, each is bounded by ``timeout`` seconds:

1. the TCP connection (nobody listening, a firewall dropping packets);
2. the first answer: a Dask scheduler sends its handshake as soon as it accepts a
   connection; a silent listener sends nothing, and an HTTP server (the dashboard port,
   say) sends nothing until asked, or answers with ``HTTP/...`` -- which Dask's reader
   would take for a frame length of exabytes. We read the first bytes ourselves and
   check that they look like a Dask frame before handing the address to Dask;
3. workers: a scheduler with no workers would accept tasks and never run them.

Every failure is a :class:`SchedulerError` with a one-line message.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "SchedulerError",
    "check_timeout",
    "parse_connect_timeout",
    "check_handshake",
    "connect",
    "usable_cpus",
    "cap_workers",
]

#: Largest plausible size (bytes) of a scheduler's handshake frame.
_MAX_HANDSHAKE_BYTES = 1 << 20


class SchedulerError(ConnectionError):
    """The Dask scheduler could not be used; the message is one line."""


def check_timeout(seconds: object) -> float:
    """A connect timeout: a finite number of seconds > 0 (``ValueError`` otherwise)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"--connect-timeout must be a number of seconds, got {seconds!r}")
    value = float(seconds)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"--connect-timeout must be a finite number of seconds > 0, got {seconds!r}")
    return value


def parse_connect_timeout(text: str) -> float:
    """argparse type of ``--connect-timeout``: finite seconds > 0."""
    try:
        return check_timeout(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("--connect-timeout ", "")) from None


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``tcp://`` (or scheme-less) address; None for other schemes."""
    text = address if "://" in address else "tcp://" + address
    parts = urlsplit(text)
    if parts.scheme != "tcp":
        return None
    try:
        port = parts.port
    except ValueError:
        raise SchedulerError(f"{address!r} has no valid port (expected tcp://host:port)") from None
    if not parts.hostname or port is None:
        raise SchedulerError(f"{address!r} is not an address of the form tcp://host:port")
    return parts.hostname, port


def _recv_some(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _http_probe(sock: socket.socket) -> bytes:
    """Send an HTTP request on a silent connection; the first bytes of the answer (or b"")."""
    try:
        sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
        return _recv_some(sock, 8)
    except OSError:  # TimeoutError included: silent to HTTP as well
        return b""


def check_handshake(address: str, timeout: float) -> None:
    """Connect to ``address`` and check that a Dask scheduler answers within ``timeout`` s.

    Only ``tcp://`` addresses are checked (other schemes are left to Dask's own timeout).
    Raises :class:`SchedulerError` naming what was found instead.
    """
    hp = _host_port(address)
    if hp is None:
        return
    where = f"the Dask scheduler at {address!r}"
    try:
        sock = socket.create_connection(hp, timeout=timeout)
    except TimeoutError:
        raise SchedulerError(f"cannot connect to {where}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise SchedulerError(f"cannot connect to {where}: {exc.strerror or exc}") from None
    with sock:
        sock.settimeout(timeout)
        try:
            head = _recv_some(sock, 8)
        except TimeoutError:
            # silent: a listener that never answers, or a server that waits to be asked
            # (HTTP). Ask as HTTP would, once, so the message can say which.
            head = _http_probe(sock)
            if not head.startswith(b"HTTP"):
                raise SchedulerError(
                    f"cannot connect to {where}: something accepted the connection but sent no Dask handshake "
                    f"within {timeout:g} s (is it a Dask scheduler? its default port is 8786)"
                ) from None
        except OSError as exc:
            raise SchedulerError(f"cannot connect to {where}: {exc.strerror or exc}") from None
    if head.startswith(b"HTTP") or head[:1] == b"<":
        raise SchedulerError(
            f"cannot connect to {where}: it speaks HTTP, not the Dask protocol "
            "(the dashboard port? the scheduler's default port is 8786)"
        )
    if len(head) < 8:
        raise SchedulerError(f"cannot connect to {where}: it closed the connection without a Dask handshake")
    (size,) = struct.unpack("<Q", head)
    if not 0 < size <= _MAX_HANDSHAKE_BYTES:
        raise SchedulerError(
            f"cannot connect to {where}: its first answer is not a Dask handshake (announces {size:,} bytes)"
        )


def connect(address: str, timeout: float) -> Any:
    """A ``distributed.Client`` on ``address`` with at least one worker, every wait bounded.

    Raises :class:`SchedulerError` (one line) when the address does not answer like a
    Dask scheduler, or when it has no worker after ``timeout`` seconds.
    """
    timeout = check_timeout(timeout)
    check_handshake(address, timeout)
    from distributed import Client

    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise SchedulerError(
            f"cannot use the Dask scheduler at {address!r}: it has no workers (waited {timeout:g} s); "
            f"start one with 'dask worker {address}'"
        ) from None
    return client


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cap_workers(requested: int, shape: tuple[int, ...], repeats: int) -> tuple[int, str]:
    """``(workers, note)``: ``requested`` capped at :func:`usable_cpus` and at the blocks a
    sweep of ``shape`` x ``repeats`` runs; ``note`` says why when capped ("" otherwise)."""
    from .model.sweep import DEFAULT_CHUNK_SIZE, count_blocks

    tasks = count_blocks(shape, DEFAULT_CHUNK_SIZE) * max(1, int(repeats))
    cpus = usable_cpus()
    workers = max(1, min(int(requested), cpus, tasks))
    if workers == requested:
        return workers, ""
    why = f"{cpus} usable CPU(s)" if workers == cpus else f"{tasks} block(s) of work"
    return workers, f"--workers {requested} capped at {workers} ({why})"
