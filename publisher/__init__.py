"""Publish safeguarding bulletins, MI sheets and change alerts for UK local authorities."""

from publisher.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
