"""Browser-test kit: one JupyterLab on localhost, Debian's Chromium, nothing from the network.

``lab`` serves a folder on a free localhost port (the server is shared by the browser tests of a
run; each test writes its own notebook there and its kernels are shut down after it).
``open_notebook(code)`` writes a one-cell notebook, opens it in headless Chromium with every
request that is not to the local server refused, runs the cell, and hands back the page with
the kernel's state file. No browser is downloaded: Playwright drives /usr/bin/chromium through
``executable_path``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "hspwork-browser-test"

KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

# The kernel writes its state here (JSON, replaced atomically) so a test reads what Python sees.
STATE_HELPER = r"""
import json as _json, pathlib as _pathlib
def write_state(state):
    out = _pathlib.Path(STATE_PATH)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(_json.dumps(state, default=str))
    tmp.replace(out)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s: float, what: str, step_s: float = 0.1, sleep=time.sleep):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass
class Lab:
    root: Path
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.origin}{path}?token={TOKEN}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for s in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{s['id']}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server on a free localhost port, isolated in a temporary folder."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (make setup-browser)")
    root = tmp_path_factory.mktemp("lab")
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "cfg"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[var] = str(root / "_jupyter" / sub)
    # No "get Jupyter news?" prompt over the map (and no fetching news).
    news = (
        root
        / "_jupyter"
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    port = free_port()
    log = root / "_jupyter" / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--allow-root",
        f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Lab(root=root, port=port, proc=proc, log=log)

    def up():
        try:
            server.api("GET", "/api/status")
            return True
        except OSError:
            return proc.poll() is not None  # stop waiting if the server died

    try:
        wait_for(up, 90, "the JupyterLab server", step_s=0.25)
        assert proc.poll() is None, log.read_text()[-3000:]
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Notebook:
    """An open notebook: its page, where the kernel writes state, what the network refused."""

    page: object
    state_path: Path
    folder: Path
    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def state(self):
        return read_json(self.state_path)

    def wait_state(self, predicate=lambda s: True, timeout_s: float = 30, what: str = "state"):
        try:
            # Sleep through Playwright: its request routing (which keeps the network out) only
            # runs while Playwright has control, so time.sleep would stall the page.
            def ready():
                if self.page.locator("[data-mime-type='application/vnd.jupyter.error']").count():
                    raise AssertionError("the cell raised an error")
                return (s := self.state()) is not None and predicate(s) and s

            return wait_for(
                ready,
                timeout_s,
                what,
                sleep=lambda t: self.page.wait_for_timeout(t * 1000),
            )
        except AssertionError as exc:
            self.shot("failed_wait")
            outputs = self.page.evaluate(
                "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                ".map(e => e.innerText.slice(0, 2000))"
            )
            raise AssertionError(
                f"{exc}\nlast state: {self.state()}\ncell output: {outputs}\n"
                f"browser console (last 15): {self.console[-15:]}\nblocked: {self.blocked}"
            ) from None

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_notebook(lab, chromium, request):
    """Open a one-cell notebook running ``code`` (``STATE_PATH``, ``FOLDER`` and
    ``write_state`` are defined for it) and return a :class:`Notebook`."""
    pages = []
    name = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)

    def _open(code: str, viewport=(1400, 1000), run: bool = True) -> Notebook:
        folder = lab.root / name
        folder.mkdir(exist_ok=True)
        state_path = folder / "state.json"
        state_path.unlink(missing_ok=True)
        header = f"STATE_PATH = {str(state_path)!r}\nFOLDER = {str(folder)!r}\n" + STATE_HELPER
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(header + code)]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, folder / "nb.ipynb")
        page = chromium.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        pages.append(page)
        out = Notebook(page=page, state_path=state_path, folder=folder)

        def route(r):
            url = r.request.url
            if url.startswith(lab.origin) or url.startswith(("data:", "blob:")):
                r.continue_()
            else:  # nothing may come from the network
                out.blocked.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: out.console.append(f"{m.type}: {m.text}"))
        page.goto(f"{lab.origin}/lab/tree/{name}/nb.ipynb?token={TOKEN}&reset", timeout=90_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=90_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        if run:
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        return out

    yield _open
    for page in pages:
        page.close()
    lab.shut_down_kernels()
