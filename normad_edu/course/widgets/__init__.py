"""Widget builders for the notebooks, one module per notebook topic.

Every builder returns an ``ipywidgets`` container and is backed by *pure*
functions (parameters in, arrays or a matplotlib Figure out) that the tests
call over a grid of slider values, since headless execution never moves a
slider. Plots are static inline matplotlib redrawn by the callback, ending
in ``plt.show()`` inside ``with render_into(out):`` (``_output.py``: the
kernel sets the ``Output`` widget's content, so a headless run never waits
on the front end's capture); sliders that trigger a simulation use
``continuous_update=False``.
"""
