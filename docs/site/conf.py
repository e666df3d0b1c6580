"""Sphinx configuration of the rendered course site (notebooks, method, API reference).

Build from the repository root (README, "Course"; -T prints a failing cell's traceback)::

    NORMAD_EDU_QUICK=1 python -m sphinx -W --keep-going -T -b html -c docs/site . build/site

The source folder is the repository itself (``-c docs/site`` points here),
restricted by ``include_patterns`` to the course: ``notebooks/*.ipynb``,
``docs/*.md`` (the method, an instructor guide when there is one) and this
folder's pages. So the notebooks' own links (``02_lif_neuron.ipynb``,
``../docs/method.md``) resolve as they do on GitHub, and nothing is copied.

Why Sphinx + myst-nb: pure Python, works offline, executes the notebooks
(quick mode under ``NORMAD_EDU_QUICK=1``) and fails the build on a notebook
error (``nb_execution_raise_on_error``) or, with ``-W`` and ``nitpicky``, on
a broken cross-reference. Jupyter Book 2 (built on the MyST Markdown
JavaScript tools) needs Node.js, which this project does not otherwise need.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import mathjax as mathjax_package  # django-static-mathjax: MathJax 3 as static files

import normad_edu
from normad_edu.course.notebook import quick_mode
from normad_edu.course.shipped import RELEASE_REF, binder_url, colab_url

project = "normad_edu"
author = "normad_edu developers"
copyright = "normad_edu developers, MIT License"
release = version = normad_edu.__version__

root_doc = "docs/site/index"
include_patterns = ["docs/site/*.md", "docs/*.md", "docs/reference/*.md", "docs/research/*.md", "notebooks/*.ipynb"]
exclude_patterns = ["build", "**/.ipynb_checkpoints"]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

# MyST: $...$ maths as in the notebooks, GitHub-style anchors for "method.md#1-synapse-..." links
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Notebooks: executed on every build (their outputs are not stored), in quick mode
# when NORMAD_EDU_QUICK=1; an error in any cell fails the build.
nb_execution_mode = os.environ.get("NORMAD_EDU_SITE_EXECUTE", "force")
# per cell: quick-mode cells take < 30 s even on a loaded machine. (A limit, not a work-around: headless
# runs used to stall at widget cells until the limit, nbclient having missed the cell's reply while it
# synced an Output widget's captured output back to the kernel; the widgets now fill their Output from
# the kernel, normad_edu/course/widgets/_output.py, and tests/test_headless.py keeps it so.)
nb_execution_timeout = 120 if quick_mode() else -1
if nb_execution_mode != "off":
    # compile (or load) every numba kernel once here, so no notebook's kernel compiles: faster on a fresh clone
    from normad_edu.cli.warmup import warm_numba_cache

    warm_numba_cache()
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# API reference: numpy-style docstrings, members in source order
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autosummary_generate = False

# every cross-reference to the package must resolve (-W turns warnings into errors); not
# checked: targets outside it (numpy, the standard library: no intersphinx, the build is
# offline), private modules and names (normad_edu._engine, practice._Exercise), and the
# words of numpy-style type fields ("ndarray, shape (B, n)", '{"plastic", "frozen"}')
# that are not names of the package
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|collections|pathlib|typing|argparse|concurrent|matplotlib|ipywidgets|nbformat|"
               r"dask|distributed)\..*"),
    (r"py:.*", r"normad_edu\.(\w+\.)*_\w*(\..*)?"),  # private modules and names
    (r"py:class", r"(?!normad_edu\.).*"),
]
napoleon_preprocess_types = True
# a notebook's heading levels may skip one (e.g. a "###" exercise under the title): cosmetic, not a broken link
suppress_warnings = ["myst.header"]

html_theme = "alabaster"
html_title = f"normad_edu {release}: the course"
html_extra_path = ["_root"]  # index.html at the top of the site: a redirect to the root page
html_theme_options = {"description": "NormAD-based spatio-temporal error backpropagation, as a course",
                      "fixed_sidebar": True}

# Maths without a network: MathJax 3's single-file TeX-to-SVG build from the django-static-mathjax
# package (MathJax 3.2.2 as static files; nothing of Django is used), copied into _static/mathjax/ after
# the build. SVG output draws every glyph from the script itself: no web fonts and no further downloads,
# so pages opened from disk (file://) render too. On every page, since the navigation of any page may
# hold a heading with maths.
MATHJAX_FILE = Path(mathjax_package.__file__).resolve().parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
mathjax_path = "mathjax/tex-svg-full.js"
mathjax3_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
                   "svg": {"fontCache": "global"}}


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MATHJAX_FILE, target / MATHJAX_FILE.name)


# Every notebook page starts with its launch buttons: Binder and Colab open the same release of the
# notebook with the same release of the package (RELEASE_REF); this page's widgets are inert.
LAUNCH_BANNER = """<div class="admonition note launch-buttons">
<p class="admonition-title">Run this notebook</p>
<p><a class="reference external launch-binder" href="{binder}">Launch on Binder</a> &middot;
<a class="reference external launch-colab" href="{colab}">Open in Colab</a> &middot;
or on your machine: <code>normad-edu notebooks DIR</code>, then <code>jupyter lab DIR/notebooks</code>.</p>
<p>The sliders and drop-downs of this notebook's widgets come alive there, with a Python kernel behind
them: on this page they are a static record of the notebook's run (in quick mode, release {release}) and
do not respond.</p>
</div>
"""


def _launch_buttons(app, pagename, templatename, context, doctree) -> None:
    if pagename.startswith("notebooks/") and "body" in context:
        name = pagename.split("/", 1)[1] + ".ipynb"
        banner = LAUNCH_BANNER.format(binder=binder_url(name), colab=colab_url(name), release=RELEASE_REF)
        context["body"] = banner + context["body"]


def setup(app):
    app.set_html_assets_policy("always")  # MathJax on every page (maths in the navigation too)
    app.connect("html-page-context", _launch_buttons)
    app.connect("build-finished", _copy_mathjax)
