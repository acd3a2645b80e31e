"""A fork server for mutation testing: each mutant's tests start from warm third-party imports.

Most of a mutant's test run used to be start-up: Python, NumPy, pandas, GeoPandas, SciPy,
statsmodels and pytest imported afresh for every mutant (about five seconds). The server
imports those libraries once, then forks a child per test run; the child imports hspwork
from the source tree (where cosmic-ray has just written the mutant), runs pytest in-process
and exits with pytest's code. hspwork itself is never imported by the server, so no mutant
or pristine copy of it can be left in a child's memory.

    python tools/mutate_server.py serve SOCKET          # started by tools/mutate.py
    python tools/mutate_server.py run SOCKET MODULE_PATH TIMEOUT -- PYTEST_ARGS...

``run`` is the cosmic-ray test command: it sends the arguments to the server, streams nothing
and exits with the child's exit code (or 1 if the server cannot be reached, so a missing
server never passes a mutant off as survived: cosmic-ray first checks that the unmutated
baseline passes).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Imported once by the server. Only third-party code: never hspwork.
PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.spatial",
    "scipy.sparse",
    "shapely",
    "pyproj",
    "geopandas",
    "statsmodels.api",
    "statsmodels.formula.api",
    "matplotlib",
    "matplotlib.pyplot",
    "numba",
    "libpysal",
    "pytest",
    "_pytest.assertion.rewrite",
    "_pytest.doctest",
    "tqdm",
    "jinja2",
    "pyogrio",
    "pyarrow",
    "traitlets",
    "ipywidgets",
    "ortools.constraint_solver.pywrapcp",
)

#: Set before anything is imported: the mutated Python source of the numba kernels must run,
#: figures go to files, and one thread per run (two sessions share two cores).
ENV = {
    "NUMBA_DISABLE_JIT": "1",
    "MPLBACKEND": "Agg",
    "HSPWORK_SKIP_WARMUP": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def _recv_all(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _recv_line(conn: socket.socket) -> bytes:
    # The request is one line; the client then keeps its side open, so that the end of the
    # connection tells the server the client has gone (see _wait).
    chunks = []
    while not chunks or not chunks[-1].endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _child(request: dict, log_path: Path) -> None:
    """Run pytest in this forked child and exit; never returns."""
    code = 3
    try:
        os.chdir(request["cwd"])
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        # A backstop: cosmic-ray kills the client at its timeout, not this child.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(request["timeout"]) + 5)
        # The mutated module's cached byte code could carry the previous mutant's code when
        # two writes fall in one second with the same size; compile it from source instead.
        import importlib.util

        stale = Path(importlib.util.cache_from_source(str(Path(request["module"]).resolve())))
        stale.unlink(missing_ok=True)
        sys.path.insert(0, request["cwd"])
        import pytest

        code = int(pytest.main(request["args"]))
    except BaseException as exc:
        print(f"mutate_server child failed: {exc!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, conn: socket.socket) -> int:
    """The child's exit code; the child is killed if the client goes away first.

    cosmic-ray kills the client at the mutant's timeout. Without this the child would run on
    and hold up the next mutant's client, whose own time would then count against it.
    """
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(1):  # EOF: the client was killed
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL


def serve(sock_path: str) -> None:
    os.environ.update(ENV)
    sys.dont_write_bytecode = True
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in PRELOAD:
            importlib.import_module(name)
    leaked = sorted(m for m in sys.modules if m == "hspwork" or m.startswith("hspwork."))
    if leaked:
        raise SystemExit(f"the server imported hspwork ({leaked[0]}); it must not")
    path = Path(sock_path)
    path.unlink(missing_ok=True)
    log_path = path.with_suffix(".child.log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"mutate_server ready on {path}", flush=True)
    try:
        while True:
            conn, _ = server.accept()
            with conn:
                request = json.loads(_recv_line(conn))
                pid = os.fork()
                if pid == 0:
                    server.close()
                    conn.close()
                    _child(request, log_path)
                code = _wait(pid, conn)
                tail = log_path.read_text(errors="replace")[-20000:] if log_path.exists() else ""
                try:
                    conn.sendall(json.dumps({"code": code, "output": tail}).encode())
                except OSError:
                    pass  # the client was killed at its timeout
    finally:
        server.close()
        path.unlink(missing_ok=True)


def run(sock_path: str, module: str, timeout: str, args: list[str]) -> int:
    request = {"cwd": os.getcwd(), "module": module, "timeout": float(timeout), "args": args}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(sock_path)
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(_recv_all(conn))
    except (OSError, ValueError) as exc:
        print(
            f"mutate_server at {sock_path} not reachable ({exc}): stopping the session so that "
            "this mutant is not recorded as killed; rerun tools/mutate.py to resume",
            file=sys.stderr,
        )
        # Any exit code but 0 would count the mutant as killed. Stopping the process group
        # (tools/mutate.py, cosmic-ray exec and this client) leaves the mutant pending; the
        # next run restores the source from its pristine copy and resumes.
        os.killpg(os.getpgid(0), signal.SIGTERM)
        return 1
    sys.stdout.write(reply["output"])
    code = reply["code"]
    return code if code >= 0 else 1


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "serve":
        serve(argv[1])
        return 0
    if len(argv) >= 5 and argv[0] == "run" and argv[4] == "--":
        return run(argv[1], argv[2], argv[3], argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
