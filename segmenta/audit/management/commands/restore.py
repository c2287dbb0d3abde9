from django.core.management.base import BaseCommand, CommandError

from segmenta.audit.backup import BadInput, Failed, add_passphrase_argument, read_passphrase, restore
from segmenta.audit.backup import check as check_backup


class Command(BaseCommand):
    help = ("Restore a backup made by `segmenta backup` into this installation's empty database and empty "
            "MEDIA_ROOT, then check row counts, uploads and the audit trail against the backup's manifest "
            "(exit 1 naming what differs, 2 on bad input or a non-empty target). --check reads the backup "
            "through and restores nothing.")

    def add_arguments(self, parser):
        parser.add_argument("src", metavar="SRC", help="the backup directory")
        add_passphrase_argument(parser, "an encrypted backup")
        parser.add_argument("--check", action="store_true",
                            help="only check the backup: hashes, decryption, uploads, the database copy")

    def handle(self, *args, src, passphrase_file, check, **options):
        try:
            summary, problems = (check_backup if check else restore)(src, read_passphrase(passphrase_file))
        except BadInput as error:
            raise CommandError(str(error), returncode=2) from None
        except Failed as error:
            first, *rest = str(error).splitlines()
            problems, summary = rest, []
            failure = first
        else:
            failure = (f"{'backup check FAILED' if check else 'restore FAILED verification'}: "
                       f"{len(problems)} difference(s) from the backup")
        for line in problems:
            self.stderr.write(line)
        if problems or not summary:
            raise CommandError(failure)
        for line in summary:
            self.stdout.write(line)

