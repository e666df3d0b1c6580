"""The notebooks work for a person: JupyterLab in a real headless browser.

One JupyterLab server (on a free port, with a random token, serving a temporary
copy of ``notebooks/``, kernels in quick mode) and one headless Chromium driven
by Playwright serve the whole session. For every notebook that displays a
widget the test opens it, runs all cells from JupyterLab's Run menu, and
checks what a student would see:

* no cell shows an error (no traceback on stderr, no error output);
* every widget renders (no "Error displaying widget", a widget view with its
  figure in each cell that builds a widget);
* in every widget, moving the first slider with the keyboard (focus the
  handle, ArrowRight, as the sliders use ``continuous_update=False``), or in a
  widget without sliders picking the next entry of its drop-down, redraws
  the figure (the image's data changes);
* the page logs no JavaScript error from the widget manager.

Screenshots of each notebook after the run and of each widget before and
after the slider move go to ``browser-screenshots/`` in the repository (or to
``$NORMAD_EDU_SCREENSHOTS``); the folder is printed at the end of the run.

The course site, offline: the site is built (notebooks not executed: their
markdown holds the maths) and Chromium opens pages from disk with every
request that is not a local file blocked. On each page MathJax, loaded from
the site itself, must have typeset every formula (an SVG per formula, no raw
``\\(``/``\\[`` left in the text, no processing error), and the notebook
pages carry their Binder and Colab buttons.

Needs ``jupyterlab`` and ``playwright`` (the ``test`` extra; Playwright's own
browser download is not used) and Debian's ``chromium`` (``.ci/run`` installs
it; this module tries ``apt-get install chromium`` once when it is missing and
skips only when it cannot be had).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = Path(os.environ.get("NORMAD_EDU_SCREENSHOTS") or ROOT / "browser-screenshots").resolve()

#: The flags this machine's Chromium needs (no sandbox as root, no network but localhost).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
#: A code cell that displays a widget (the notebooks call ``display(build_..._widget(...))``).
WIDGET_CELL = re.compile(r"(?<!def )\bbuild_\w*widget\s*\(|(?<!def )\binteract(?:ive)?\s*\(")
#: Console errors that come from the widget manager or its models.
WIDGET_CONSOLE_ERROR = re.compile(r"widget|manager|model", re.IGNORECASE)

SERVER_START_TIMEOUT = 120.0   # s, JupyterLab answering /api/status
KERNEL_READY_TIMEOUT = 120.0   # s, the notebook's kernel idle after opening
RUN_ALL_TIMEOUT = 300.0        # s, Run All Cells of one notebook in quick mode
REDRAW_TIMEOUT = 120.0         # s, one slider move to the new figure
ARROW_PRESSES = 3

#: JupyterLab user settings for the test server: render every cell (no
#: windowing, so the DOM has all of them), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def _code_sources(path: Path) -> list[tuple[int, str]]:
    """(cell index, source) of every code cell of a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _widget_notebooks() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb")
                  if any(WIDGET_CELL.search(src) for _, src in _code_sources(p)))


# --------------------------------------------------------------------------- chromium


def _find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; installed with apt-get once if missing (as root), else the suite skips."""
    path = _find_chromium()
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            try:
                subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired):
                break
        path = _find_chromium()
    if path is None:
        pytest.skip("browser tests need Debian's chromium (/usr/bin/chromium), which is not installed and could "
                    "not be installed here: run `apt-get install chromium` as root")
    return path


# --------------------------------------------------------------------------- JupyterLab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab: its URL, token, and a small REST client."""

    def __init__(self, base: str, token: str, root: Path, log: Path):
        self.base, self.token, self.root, self.log = base, token, root, log

    def url(self, path: str) -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (frees the two cores for the next notebook)."""
        for kernel in self.api("/api/kernels"):
            try:
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
            except OSError:
                pass

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def _stop(proc: subprocess.Popen, children: list) -> None:
    """Terminate the server, wait, kill if needed; then any kernel it left behind."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    for child in children:        # psutil.Process objects of the server's kernels (if psutil is there)
        try:
            if child.is_running():
                child.terminate()
                try:
                    child.wait(timeout=10)
                except Exception:  # psutil.TimeoutExpired
                    child.kill()
        except Exception:          # psutil.NoSuchProcess: already gone
            pass


@pytest.fixture(scope="session")
def lab(tmp_path_factory, chromium_path) -> Lab:
    """One JupyterLab for the session, serving a temporary copy of notebooks/, kernels in quick mode."""
    pytest.importorskip("jupyterlab", reason="browser tests need jupyterlab: pip install '.[test]'")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    settings = tmp / "settings"
    for name, value in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    env = dict(os.environ, NORMAD_EDU_QUICK="1", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)   # the kernels must use the inline backend, as for a student
    token, port = secrets.token_hex(24), _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp / "jupyterlab.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    children: list = []
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                                f"{server.log_tail()}")
                time.sleep(0.25)
        yield server
        try:
            import psutil
            children = psutil.Process(proc.pid).children(recursive=True)
        except Exception:
            children = []
        try:
            server.shutdown_kernels()
        except OSError:
            pass
    finally:
        _stop(proc, children)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser(tmp_path_factory, chromium_path, request):
    """One headless Chromium (Playwright driving Debian's binary) with a fresh profile."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser tests need playwright: pip install '.[test]'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    request.config.normad_edu_screenshots = str(SCREENSHOTS)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1100})
        try:
            yield context
        finally:
            context.close()


# --------------------------------------------------------------------------- page helpers

STATE_JS = r"""() => {
  const ind = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
      .map(e => e.textContent.trim());
  // the status bar's kernel item ("Python 3 (ipykernel) | Idle"): the toolbar's
  // indicator already says idle while the kernel is still initializing
  const items = [...document.querySelectorAll('#jp-main-statusbar span')].map(e => e.textContent.trim());
  const k = items.map(t => t.match(/^(.+?) \| ([A-Za-z][A-Za-z ]*)$/)).find(m => m);
  return {status: ind ? ind.getAttribute('data-status') : null, prompts,
          kernel: k && k[1] !== 'No Kernel' ? k[2] : null};
}"""

ERRORS_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const found = [];
  const sel = '[data-mime-type="application/vnd.jupyter.stderr"], [data-mime-type="application/vnd.jupyter.error"]';
  for (const e of document.querySelectorAll('.jp-Notebook ' + sel)) {
    const text = e.textContent || '';
    if (e.getAttribute('data-mime-type').endsWith('error') || /Traceback|Error/.test(text))
      found.push({cell: cells.indexOf(e.closest('.jp-Cell')), text: text.slice(0, 3000)});
  }
  for (const e of document.querySelectorAll('.jp-Notebook .jupyter-widgets-error-widget'))
    found.push({cell: cells.indexOf(e.closest('.jp-Cell')), text: 'widget view failed to render: ' +
                (e.textContent || '').trim().slice(0, 500)});
  for (const e of document.querySelectorAll('.jp-Notebook *')) {
    if (e.children.length === 0 && /Error displaying widget/.test(e.textContent || ''))
      found.push({cell: cells.indexOf(e.closest('.jp-Cell')), text: e.textContent.slice(0, 500)});
  }
  return found;
}"""


def _wait(page, predicate, timeout: float, what: str, poll: float = 0.5):
    """Poll ``predicate()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        page.wait_for_timeout(poll * 1000)


def _assert_no_errors(page, name: str, when: str) -> None:
    errors = page.evaluate(ERRORS_JS)
    assert not errors, f"{name}: error output {when}:\n" + "\n---\n".join(
        f"cell {e['cell']}: {e['text']}" for e in errors)


HIDDEN_READOUTS_JS = """(widget) => {
  const hidden = [];
  for (const slider of widget.querySelectorAll('.widget-slider')) {
    const readout = slider.querySelector('.widget-readout');
    if (!readout || getComputedStyle(readout).display === 'none') continue;   // readout=False
    const label = (slider.querySelector('.widget-label') || {}).textContent || '?';
    const r = readout.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (r.width === 0 || !hit || !readout.contains(hit) || readout.scrollWidth > readout.clientWidth + 1)
      hidden.push(`${label} (${readout.textContent.trim()})`);
  }
  return hidden;
}"""


def _log_console_errors(page) -> str:
    """Tracebacks in JupyterLab's log console: where a widget callback's exception lands
    (kernel output with no cell). Opens the console only when the status bar counts entries."""
    item = page.locator(".jp-LogConsoleStatusItem [title]")
    if not item.count() or not re.search(r"[1-9]\d* log entr", item.first.get_attribute("title") or ""):
        return ""
    item.first.click()
    panel = page.locator(".jp-LogConsolePanel")
    panel.first.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(500)
    text = panel.first.inner_text()
    return text[-4000:] if re.search(r"Traceback|Error", text) else ""


def _img_src(widget) -> str | None:
    img = widget.locator(".widget-output img")
    return img.first.get_attribute("src") if img.count() else None


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("name", _widget_notebooks())
def test_notebook_runs_and_widgets_redraw_in_jupyterlab(name, lab, browser):
    stem = Path(name).stem
    sources = _code_sources(NOTEBOOKS / name)
    n_code = sum(1 for _, src in sources if src.strip())
    widget_cells = [i for i, src in sources if WIDGET_CELL.search(src)]
    console_errors: list[str] = []
    t_open = time.monotonic()
    page = browser.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    try:
        # open in a fresh workspace (no other notebook restored), wait for the kernel
        page.goto(lab.url(f"/lab/workspaces/{stem}/tree/{name}"), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=KERNEL_READY_TIMEOUT * 1000)

        def kernel_ready():
            state = page.evaluate(STATE_JS)
            return state["status"] == "idle" and state["kernel"] == "Idle"

        _wait(page, kernel_ready, KERNEL_READY_TIMEOUT, f"{name}: kernel idle after opening")

        # Run > Run All Cells, as a person would
        def run_all():
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        def started():
            return any(p != "[ ]:" for p in page.evaluate(STATE_JS)["prompts"])

        open_s = time.monotonic() - t_open
        t0 = time.monotonic()
        run_all()
        try:
            _wait(page, started, 20, f"{name}: Run All Cells to start")
        except AssertionError:     # a person would click again: say so, and fail if that does not help
            print(f"\n{name}: Run All Cells started nothing within 20 s; clicking it again")
            run_all()
            _wait(page, started, 20, f"{name}: Run All Cells to start (second click)")

        def finished():
            state = page.evaluate(STATE_JS)
            done = sum(1 for p in state["prompts"] if re.fullmatch(r"\[\d+\]:", p))
            if state["status"] != "idle" or any("*" in p for p in state["prompts"]):
                return False
            return done >= n_code or bool(page.evaluate(ERRORS_JS))   # run-all stops at an error

        _wait(page, finished, RUN_ALL_TIMEOUT, f"{name}: Run All Cells to finish")
        run_s = time.monotonic() - t0
        t_widgets = time.monotonic()
        _assert_no_errors(page, name, "after Run All Cells")
        cells = page.locator(".jp-Notebook .jp-Cell")
        assert cells.count() == len(json.loads((NOTEBOOKS / name).read_text())["cells"]), \
            f"{name}: JupyterLab shows {cells.count()} cells"

        # every widget cell shows a widget view with its figure
        widgets = []
        for i in widget_cells:
            widget = cells.nth(i).locator(".jp-OutputArea-output:has(> .jupyter-widgets)").first
            try:
                widget.wait_for(state="visible", timeout=30_000)
                widget.locator(".widget-output img").first.wait_for(state="visible", timeout=30_000)
            except Exception as exc:
                _assert_no_errors(page, name, f"while rendering the widget of cell {i}")
                raise AssertionError(f"{name}: cell {i} shows no rendered widget with a figure "
                                     f"({type(exc).__name__})") from None
            widgets.append((i, widget))
        widgets[0][1].scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{stem}_1_run.png"))

        # move one slider per widget by keyboard (or, in a widget without sliders, pick the next entry of its
        # drop-down); the figure must be redrawn
        moved = []
        for k, (i, widget) in enumerate(widgets, start=1):
            sliders = widget.locator(".widget-slider")
            dropdowns = widget.locator(".widget-dropdown")
            if sliders.count() == 0 and dropdowns.count() == 0:
                continue
            before_src = _img_src(widget)
            widget.screenshot(path=str(SCREENSHOTS / f"{stem}_w{k}_before.png"))
            if sliders.count():
                slider = sliders.first
                label = slider.locator(".widget-label").first.inner_text()
                before_value = slider.locator(".widget-readout").first.inner_text()
                slider.scroll_into_view_if_needed()
                hidden = widget.evaluate(HIDDEN_READOUTS_JS)
                if hidden:   # readable for a person? (reported, not failed: the widget still works)
                    warnings.warn(f"{name}: cell {i}: slider value readouts covered or clipped: {', '.join(hidden)}",
                                  UserWarning, stacklevel=1)
                handle = slider.locator(".noUi-handle").first
                handle.focus()
                for key in ("ArrowRight", "ArrowLeft"):      # ArrowLeft if the slider starts at its maximum
                    for _ in range(ARROW_PRESSES):
                        handle.press(key)
                        page.wait_for_timeout(100)
                    if slider.locator(".widget-readout").first.inner_text() != before_value:
                        break
                after_value = slider.locator(".widget-readout").first.inner_text()
            else:
                dropdown = dropdowns.first
                label = dropdown.locator(".widget-label").first.inner_text()
                select = dropdown.locator("select").first
                select.scroll_into_view_if_needed()
                chosen = "s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''"
                before_value = select.evaluate(chosen)
                n_options = select.locator("option").count()
                select.select_option(index=(select.evaluate("s => s.selectedIndex") + 1) % n_options)
                after_value = select.evaluate(chosen)
            assert after_value != before_value, f"{name}: control {label!r} of cell {i} did not change"

            stable = {"n": 0}

            def redrawn():
                src = _img_src(widget)
                ok = (src is not None and src != before_src
                      and page.evaluate(STATE_JS)["status"] == "idle")
                stable["n"] = stable["n"] + 1 if ok else 0
                return stable["n"] >= 3        # new figure and an idle kernel for ~1.5 s

            try:
                _wait(page, redrawn, REDRAW_TIMEOUT, f"{name}: figure of cell {i} redrawn after moving {label!r}")
            except AssertionError:
                _assert_no_errors(page, name, f"after moving {label!r} in cell {i}")
                try:
                    log = _log_console_errors(page)
                except Exception:      # keep the time-out as the failure
                    log = ""
                assert not log, f"{name}: moving {label!r} in cell {i} raised in the kernel (log console):\n{log}"
                raise
            widget.screenshot(path=str(SCREENSHOTS / f"{stem}_w{k}_after.png"))
            moved.append(f"cell {i} {label} {before_value} -> {after_value}")
        assert moved, f"{name}: no widget has a slider or a drop-down to move"
        _assert_no_errors(page, name, "after moving the sliders")
        page.screenshot(path=str(SCREENSHOTS / f"{stem}_2_after_slider.png"))
        log = _log_console_errors(page)
        assert not log, f"{name}: errors in JupyterLab's log console (kernel output outside cells):\n{log}"
        print(f"\n{name}: opened with an idle kernel in {open_s:.1f} s, ran all cells in {run_s:.1f} s; "
              f"{len(widgets)} widget(s) rendered and redrawn in {time.monotonic() - t_widgets:.1f} s after "
              f"{'; '.join(moved)}")

        widget_errors = [m for m in console_errors if WIDGET_CONSOLE_ERROR.search(m)]
        assert not widget_errors, f"{name}: JavaScript console errors from the widget manager:\n" + \
            "\n".join(widget_errors)
    except BaseException:
        try:                       # what the person would have seen at the failure
            page.screenshot(path=str(SCREENSHOTS / f"{stem}_FAILED.png"))
        except Exception:
            pass
        if console_errors:
            print(f"\n{name}: JavaScript console errors:\n" + "\n".join(console_errors))
        raise
    finally:
        page.close()
        lab.shutdown_kernels()


# --------------------------------------------------------------------------- the course site, offline

#: Pages of the built site to open, with the least number of formulas each holds: the root page (maths in its
#: navigation), the method (plain-text formulas, maths in its navigation), two notebooks and the reference card.
SITE_PAGES = {"docs/site/index.html": 1, "docs/method.html": 1, "notebooks/01_synapse.html": 50,
              "notebooks/05_spatio_temporal_backprop.html": 100, "docs/reference/equations.html": 50,
              "docs/reference/glossary.html": 50}
SITE_BUILD_TIMEOUT = 900.0     # s, the site without executing the notebooks
MATHJAX_TIMEOUT = 60.0         # s, MathJax typesetting one page

MATH_STATE_JS = r"""() => MathJax.startup.promise.then(() => {
  // Sphinx wraps every formula in span.math / div.math; MathJax must have typeset each into an SVG
  const formulas = [...document.querySelectorAll('span.math, div.math')];
  const typeset = formulas.filter(f => f.querySelector('mjx-container[jax="SVG"] svg'));
  const empty = typeset.filter(f => f.offsetParent !== null &&
                                    f.querySelector('mjx-container').getBoundingClientRect().width === 0);
  const body = document.body.cloneNode(true);
  for (const e of body.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml')) e.remove();
  const text = body.innerText || body.textContent;
  const raw = (text.match(/\\[(\[]/g) || []).length;
  const errors = document.querySelectorAll('mjx-merror, [data-mjx-error]').length;
  return {formulas: formulas.length, typeset: typeset.length, empty: empty.length, raw, errors,
          sample: (text.match(/.{0,40}\\[(\[].{0,40}/) || [''])[0]};
})"""


@pytest.fixture(scope="session")
def offline_site(tmp_path_factory) -> Path:
    """The course site built as README says, except that the notebooks are not executed."""
    pytest.importorskip("myst_nb", reason="the site needs myst-nb: pip install '.[test]'")
    pytest.importorskip("mathjax", reason="the site needs django-static-mathjax: pip install '.[test]'")
    out = tmp_path_factory.mktemp("site") / "html"
    env = dict(os.environ, NORMAD_EDU_SITE_EXECUTE="off", NORMAD_EDU_QUICK="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    res = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", str(ROOT / "docs" / "site"),
                          str(ROOT), str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=SITE_BUILD_TIMEOUT)
    assert res.returncode == 0, f"site build failed:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    return out


@pytest.mark.parametrize("page_path", SITE_PAGES)
def test_site_pages_render_their_maths_offline(page_path, offline_site, browser):
    path = offline_site / page_path
    assert path.is_file(), f"the site has no {page_path}"
    page = browser.new_page()
    external: list[str] = []

    def local_only(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:                     # no network: anything else fails, as on a laptop offline
            external.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=MATHJAX_TIMEOUT * 1000)
        state = page.evaluate(MATH_STATE_JS)
        stem = page_path.replace("/", "_").removesuffix(".html")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"site_{stem}.png"))
        print(f"\n{page_path}: {state['typeset']} of {state['formulas']} formulas typeset; "
              f"blocked requests: {external}")
        assert not [u for u in external if "mathjax" in u.lower()], f"MathJax requested from outside: {external}"
        assert state["raw"] == 0, f"{page_path}: raw TeX left on the page, e.g. {state['sample']!r}"
        assert state["errors"] == 0, f"{page_path}: MathJax reported {state['errors']} error(s)"
        assert state["typeset"] == state["formulas"] and state["empty"] == 0, \
            f"{page_path}: {state['typeset']} of {state['formulas']} formulas typeset, {state['empty']} empty"
        assert state["formulas"] >= SITE_PAGES[page_path], f"{page_path}: only {state['formulas']} formulas found"
        if page_path.startswith("notebooks/"):
            name = Path(page_path).stem + ".ipynb"
            banner = page.locator(".launch-buttons")
            assert banner.count() == 1, f"{page_path}: no launch buttons"
            from normad_edu.course.shipped import binder_url, colab_url

            assert banner.locator("a.launch-binder").get_attribute("href") == binder_url(name)
            assert banner.locator("a.launch-colab").get_attribute("href") == colab_url(name)
            assert "come alive there" in banner.inner_text()
    finally:
        page.close()
