"""The one path by which plugins, built-in and third-party, are loaded."""

import importlib.metadata
import os
import sys

import pluggy

from publisher import hookspecs

ENTRY_POINT_GROUP = "publisher"

pm = pluggy.PluginManager("publisher")
pm.add_hookspecs(hookspecs)

_loaded = False


def load_plugins() -> pluggy.PluginManager:
    """Load every plugin in the ``publisher`` entry-point group, once.

    ``PUBLISHER_LOAD_PLUGINS`` (comma-separated entry-point names, may be empty) limits
    which load; ``PUBLISHER_TRACE_PLUGINS=1`` prints every hook call to stderr.
    """
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    wanted = os.environ.get("PUBLISHER_LOAD_PLUGINS")
    if wanted is None:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    else:
        names = {name.strip() for name in wanted.split(",") if name.strip()}
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry_point.name in names and not pm.has_plugin(entry_point.name):
                pm.register(entry_point.load(), name=entry_point.name)
    pm.check_pending()
    if os.environ.get("PUBLISHER_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: print(message, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


def plugin_summaries() -> list[dict]:
    """Each loaded plugin with the hooks it implements, sorted by name."""
    summaries = [
        {
            "name": pm.get_name(plugin),
            "hooks": sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()),
        }
        for plugin in pm.get_plugins()
    ]
    return sorted(summaries, key=lambda summary: summary["name"])
