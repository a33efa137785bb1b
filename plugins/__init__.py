"""Built-in plugins. Each module is registered through the ``publisher`` entry-point group,
exactly like a third-party plugin, and uses only the hooks in ``publisher.hookspecs``."""
