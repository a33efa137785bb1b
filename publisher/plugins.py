"""The one path by which plugins, built-in and third-party, are loaded.

Built-in plugins (``DEFAULT_PLUGINS``) are ordinary plugin modules registered through the
same plugin manager as third-party ones, which come from the ``publisher`` entry-point
group. Tests set ``sys._called_from_test`` (as llm and datasette do) so whatever
third-party plugins happen to be installed never leak into them.
"""

import importlib
import importlib.metadata
import os
import sys

import pluggy

from publisher import hookspecs
from publisher.errors import PublisherError

ENTRY_POINT_GROUP = "publisher"

DEFAULT_PLUGINS = (
    "publisher_plugins.feed",
    "publisher_plugins.govuk",
    "publisher_plugins.listing",
    "publisher_plugins.page",
    "publisher_plugins.site",
    "publisher_plugins.syndication",
    "publisher_plugins.ics",
    "publisher_plugins.outbox",
    "publisher_plugins.smtp",
    "publisher_plugins.notify",
)

pm = pluggy.PluginManager("publisher")
pm.add_hookspecs(hookspecs)

_loaded = False


def load_plugins() -> pluggy.PluginManager:
    """Load the built-in plugins and the installed third-party ones, once.

    ``PUBLISHER_LOAD_PLUGINS`` (comma-separated entry-point names, may be empty) limits
    which third-party plugins load; the built-in ones always do.
    ``PUBLISHER_TRACE_PLUGINS=1`` prints every hook call to stderr.
    """
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    wanted = os.environ.get("PUBLISHER_LOAD_PLUGINS")
    if not getattr(sys, "_called_from_test", False):
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if wanted is not None and entry_point.name not in _names(wanted):
                continue
            if not pm.has_plugin(entry_point.name):
                pm.register(entry_point.load(), name=entry_point.name)
    for module_name in DEFAULT_PLUGINS:
        name = module_name.rpartition(".")[2]
        if not pm.has_plugin(name):
            pm.register(importlib.import_module(module_name), name=name)
    pm.check_pending()
    if os.environ.get("PUBLISHER_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: print(message, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


def _names(wanted: str) -> set[str]:
    return {name.strip() for name in wanted.split(",") if name.strip()}


class PluginConflict(PublisherError):
    """Two plugins register the same name."""


def add_unique(found: dict, name: str, value, what: str) -> None:
    """The one rule for names plugins register (source kinds, outputs, deliverers):
    a name is taken once; a second plugin taking it is an error, never a silent choice."""
    if name in found:
        raise PluginConflict(f"two plugins register the {what} '{name}'")
    found[name] = value


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
