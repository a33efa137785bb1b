"""Built-in jinja2 templates (a package only so they ship inside the wheel)."""
