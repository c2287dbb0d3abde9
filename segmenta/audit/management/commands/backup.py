from django.core.management.base import BaseCommand, CommandError

from segmenta.audit.backup import BadInput, Failed, add_passphrase_argument, backup, describe, read_passphrase


class Command(BaseCommand):
    help = ("Back up the database (SQLite's online backup API or pg_dump), the uploads and a manifest with row "
            "counts, file hashes and the audit trail's anchor into the new directory DEST; optionally encrypted "
            "with a passphrase. The secret key stays out unless --include-secret-key (encrypted backups only).")

    def add_arguments(self, parser):
        parser.add_argument("dest", metavar="DEST", help="a new (or empty) directory for the backup")
        add_passphrase_argument(parser, "encrypt the backup")
        parser.add_argument("--include-secret-key", action="store_true",
                            help="also keep SEGMENTA_SECRET_KEY in the backup (only in an encrypted one)")

    def handle(self, *args, dest, passphrase_file, include_secret_key, **options):
        try:
            manifest = backup(dest, read_passphrase(passphrase_file), include_secret_key)
        except BadInput as error:
            raise CommandError(str(error), returncode=2) from None
        except Failed as error:
            raise CommandError(f"backup failed, nothing written: {error}") from None
        for line in describe(manifest, dest):
            self.stdout.write(line)
