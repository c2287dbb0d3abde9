"""The `segmenta` console script: every management command, under one name.

`segmenta runserver`, `segmenta migrate`, `segmenta demo`, `segmenta token USERNAME`,
`segmenta audit verify`, and the clinical engines as they arrive.
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["segmenta", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
