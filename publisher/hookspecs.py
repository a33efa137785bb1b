"""Hook specifications: the whole of what a plugin can do.

A plugin is a module with functions decorated ``@hookimpl`` whose names match these
specifications. Built-in plugins (``publisher_plugins``) use nothing else.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("publisher")
hookimpl = HookimplMarker("publisher")


@hookspec
def register_sources(register):
    """Called once when plugins load, to add source kinds.

    Call ``register(SourceKind(name=..., fetch=...))`` for each kind (see
    ``publisher.sources.SourceKind``). ``fetch(source, context)`` downloads and parses one
    configured source and returns a ``SourceResult`` of items and, for watched documents,
    snapshots. A kind's name is what ``kind:`` says in feeds.yaml.
    """


@hookspec(firstresult=True)
def classify_change(change, source):
    """Called for each change detected, before it is stored.

    ``change`` is a ``publisher.models.Change`` (kind, statutory, note, refs, ...);
    ``source`` is the ``SourceConfig`` it came from. Return a replacement (e.g.
    ``dataclasses.replace(change, statutory=True)``) to reclassify it, or None to leave it.
    The first plugin to return a change wins.
    """


@hookspec
def register_outputs(register):
    """Called by ``publisher build`` to add outputs.

    Call ``register(Output(name=..., build=...))`` (see ``publisher.outputs.Output``).
    ``build(site)`` receives a ``SiteBuild`` (the store, the config, the output folder and
    a template renderer) and returns the list of paths it wrote.
    """


@hookspec
def register_deliverers(register):
    """Called when something is sent, to add delivery channels.

    Call ``register(name, factory)``; ``factory(config, data_dir, **options)`` returns an
    object with ``send(message: email.message.Message) -> str`` (an id for the send
    log) and ``close()``. ``outbox`` (``.eml`` files) is the default channel.
    """


@hookspec
def register_commands(cli):
    """Called once when the CLI starts, with the ``publisher`` click group.

    Add subcommands with ``@cli.command()`` or ``cli.add_command(...)``.
    """


@hookspec
def template_dirs():
    """Return a list of directories holding jinja2 templates this plugin ships.

    They are searched after the user's templates directory (``settings.templates`` in
    feeds.yaml) and before the built-in templates, so a plugin can override or add templates.
    """


@hookspec
def prepare_context(context, template_name):
    """Called before a template is rendered, with the context dict; mutate it to add variables.

    ``template_name`` says which template is about to render.
    """
