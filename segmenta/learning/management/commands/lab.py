"""`segmenta lab`: the membrane-potential lab from the command line. One subcommand per
computation, registered in SUBCOMMANDS (today `ghk`)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandParser

from segmenta.commandline import refuse
from segmenta.knowledge.base import MEMBRANE_MODEL, load
from segmenta.learning import membrane


def _option(field):
    return "--" + field.replace("_", "-")


class _OneLineParser(CommandParser):
    """A mistyped option is invalid input like any other: one line on stderr and exit 2,
    not argparse's usage text."""

    def error(self, message):
        if self.called_from_command_line:
            sys.stderr.write(f"{message}\n")
            sys.exit(2)
        super().error(message)


def _ghk_arguments(parser):
    defaults, _limits, _presets = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))
    units = {"temp_c": "°C"} | {name: "mmol/L" for pair in membrane.CONCENTRATIONS.values() for name in pair}
    for field in membrane.FIELDS:
        unit = units.get(field, "relative permeability")
        parser.add_argument(_option(field), dest=field, metavar="NUMBER",
                            help=f"{unit} (default {defaults[field]:g}, a textbook mammalian neuron)")


def _ghk(command, options):
    """Print the GHK membrane potential and the ions' Nernst potentials as JSON (mV, 2 decimals)."""
    defaults, limits, _presets = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))
    values = {field: defaults[field] if options.get(field) is None else options[field] for field in membrane.FIELDS}
    try:
        result = membrane.potentials(values, limits)
    except membrane.MembraneError as error:
        raise refuse(f"{_option(error.field)}: {error.message}") from None
    command.stdout.write(json.dumps(membrane.rounded(result)))


# name: (help, add its arguments, run it)
SUBCOMMANDS = {
    "ghk": ("the Goldman–Hodgkin–Katz membrane potential and the Nernst potentials of K, Na and Cl, as JSON",
            _ghk_arguments, _ghk),
}


class Command(BaseCommand):
    help = "The membrane-potential lab: ghk [--temp-c T] [--k-in …] … [--p-cl …]"

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _OneLineParser  # an unknown option is refused in one line too
        return parser

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND",
                                    parser_class=_OneLineParser)
        for name, (text, arguments, _run) in SUBCOMMANDS.items():
            arguments(sub.add_parser(name, help=text))

    def handle(self, *args, subcommand, **options):
        SUBCOMMANDS[subcommand][2](self, options)
