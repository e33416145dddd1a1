"""Render the CLI reference (docs/cli.md) from the Typer app itself, so it cannot drift."""

from __future__ import annotations

from typing import Any

import typer.main

from joinedup.errors import ExitCode

_EXIT_MEANINGS = {
    ExitCode.OK: "success (for ingest: at least one row was loaded)",
    ExitCode.ERROR: "unexpected failure; the log has the details",
    ExitCode.USAGE: "the command line is wrong (unknown option, missing argument)",
    ExitCode.INVALID_INPUT: "the input (file, record, value) cannot be used; nothing was changed",
    ExitCode.NOT_FOUND: "a named organisation, dataset, person or item does not exist",
    ExitCode.CONFLICT: "the request clashes with the state of the store",
    ExitCode.FORBIDDEN: "the policy decision point refused",
    ExitCode.UNAVAILABLE: "the store (or another service) cannot be reached",
}


# Typer ships its own copy of Click, so commands and parameters are read by duck typing.


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    if hasattr(cmd, "list_commands"):
        ctx = cmd.context_class(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(_walk(sub, [*path, name]))
    return out


def _param_line(param: Any) -> str:
    if param.param_type_name == "argument":
        name = (getattr(param, "metavar", None) or param.name or "").upper()
        text = (getattr(param, "help", None) or "").strip()
        required = ", required" if param.required else ""
        return f"- `{name}` (argument{required}){': ' + text if text else ''}"
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    text = (param.help or "").strip()
    default = ""
    if param.show_default is not False and param.default not in (None, False, (), ""):
        default = f" (default: `{param.default}`)"
    return f"- {names}: {text}{default}"


def cli_reference() -> str:
    from joinedup.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the code by `scripts/generate_docs.py`; do not edit by hand.",
        "",
        "## Exit codes",
        "",
        "| code | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| {int(code)} | {meaning} |" for code, meaning in _EXIT_MEANINGS.items()]
    lines.append("")
    for path, cmd in _walk(root, ["joinedup"]):
        title = " ".join(path)
        lines += [f"## `{title}`", ""]
        help_text = (cmd.help or "").strip()
        if help_text:
            lines += [help_text.split("\n\n")[0].replace("\n", " "), ""]
        params = [p for p in cmd.params if p.name != "help"]
        if params:
            lines += [_param_line(p) for p in params]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
