"""Everyday use as a council officer meets it: commands run in the wrong folder, mistyped
ids, UK dates, folders that cannot be made, ports already in use: one clear line each."""

import socket

import pytest

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]


@pytest.mark.parametrize(
    "command",
    [
        ("changes",),
        ("items",),
        ("mi", "list"),
        ("subscribers", "list"),
        ("bulletin", "list"),
        ("sources",),
        ("check",),
        ("send", "--alerts"),
    ],
)
def test_commands_without_a_config_say_so_and_make_nothing(project, command):
    result = project.run(*command, expect=2)
    assert "no such file (run 'publisher init' to write a starter config)" in result.output
    assert not project.data_dir.exists()


@pytest.mark.parametrize(
    "command",
    [
        ("items", "--source", "nope"),
        ("changes", "--source", "nope"),
        ("subscribers", "list", "--audience", "trustees"),
        ("subscribers", "export", "--audience", "DSLs"),
        ("bulletin", "show", "--month", "2024-02", "--audience", "parents"),
    ],
)
def test_unknown_ids_are_an_error_everywhere(project, command):
    project.configure(NEWS)
    result = project.run(*command, expect=2)
    assert "no source with id 'nope'" in result.output or "unknown audience" in result.output


@pytest.mark.parametrize(
    ("due", "deadline"),
    [("31/01/2024", "2024-01-31"), ("2024-01-31", "2024-01-31"), ("7", "2024-01-12")],
)
def test_uk_dates_are_accepted_as_input(project, due, deadline):
    project.configure(NEWS)
    project.run("mi", "new", "--title", "Filtering", "--due", due, "--audience", "dsls")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    assert (
        f'"deadline": "{deadline}"' in project.run("mi", "show", "1/24", "--format", "json").output
    )


@pytest.mark.parametrize("since", ["31/02/2024", "2024-13-01", "next week", "02-01-2024"])
def test_impossible_dates_are_refused_by_option(project, since):
    project.configure(NEWS)
    result = project.run("items", "--since", since, expect=2)
    assert "is not a date like 23/02/2024 or 2024-02-23" in result.output


def test_a_data_folder_that_cannot_be_made_is_one_line(project, tmp_path):
    project.configure(NEWS)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = project.run("--data-dir", str(blocker / "data"), "items", expect=1)
    assert f"cannot make the data folder {blocker / 'data'}" in result.output
    assert "Traceback" not in result.output


def test_preview_on_a_port_in_use_is_one_line(project):
    project.configure(NEWS)
    (project.path / "site").mkdir()
    (project.path / "site" / "index.html").write_text("<p>site</p>")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = project.run("preview", "--port", str(port), expect=1)
    assert f"cannot serve on port {port}" in result.output
    assert "choose another with --port" in result.output
