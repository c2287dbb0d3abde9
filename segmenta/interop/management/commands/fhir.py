"""`segmenta fhir SUBCOMMAND`: FHIR from the command line. Each subcommand lives in its own
module, which provides ``add_arguments(parser)`` and ``handle(command, options)``:

- ``export``: a clinic's records as NDJSON files (segmenta/interop/fhir/bulk_cli.py).
- ``import``: FHIR Bundles and NDJSON files into a clinic's charts, proposing candidate
  fields (segmenta/interop/fhir/imports_cli.py).
"""

import importlib

from django.core.management.base import BaseCommand

SUBCOMMANDS = {
    "export": "segmenta.interop.fhir.bulk_cli",
    "import": "segmenta.interop.fhir.imports_cli",
}


class Command(BaseCommand):
    help = "FHIR R4 from the command line: " + ", ".join(SUBCOMMANDS) + " (see each one's --help)."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, module in SUBCOMMANDS.items():
            module = importlib.import_module(module)
            module.add_arguments(subcommands.add_parser(name, help=module.HELP, description=module.HELP))

    def handle(self, *args, subcommand, **options):
        return importlib.import_module(SUBCOMMANDS[subcommand]).handle(self, options)
