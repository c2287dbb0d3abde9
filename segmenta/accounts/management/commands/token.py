from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from segmenta.accounts.models import ApiToken
from segmenta.audit.trail import record


class Command(BaseCommand):
    help = ("Issue a personal API token for USERNAME and print it as the last line. "
            "--list shows the user's tokens, --revoke PREFIX revokes one.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--days", type=int, default=None,
                            help="how many days the token stays valid (default SEGMENTA_TOKEN_DAYS, 90)")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--list", action="store_true", help="list the user's tokens")
        group.add_argument("--revoke", metavar="PREFIX", help="revoke the token that starts with PREFIX")

    def handle(self, *args, username, name, list, revoke, days=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: no user named {username!r}", returncode=2)
        if list:
            for token in user.api_tokens.all():
                state = (f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at
                         else f"expired {token.expires_at:%Y-%m-%d}" if token.expired
                         else f"active until {token.expires_at:%Y-%m-%d}")
                self.stdout.write(f"{token.key_prefix}…  {token.created_at:%Y-%m-%d %H:%M}  {state}  {token.name}")
            return
        if revoke:
            tokens = user.api_tokens.filter(key_prefix__startswith=revoke, revoked_at__isnull=True)
            if tokens.count() != 1:
                raise CommandError(f"--revoke: {tokens.count()} active tokens start with {revoke!r}; need exactly one", returncode=2)
            token = tokens.get()
            with transaction.atomic():
                token.revoke()
                record("delete", user=user, obj=token, detail={"prefix": token.key_prefix, "revoked": True,
                                                               "via": "cli"})
            self.stdout.write(f"revoked {token.key_prefix}…")
            return
        if not user.is_active:
            raise CommandError(f"username: {username!r} is not active", returncode=2)
        if days is not None and not 1 <= days <= 365:
            raise CommandError(f"--days: {days} is not between 1 and 365", returncode=2)
        with transaction.atomic():
            token, raw = ApiToken.issue(user, name, days=days)
            record("create", user=user, obj=token, detail={"prefix": token.key_prefix, "via": "cli"})
        self.stdout.write(f"New API token for {username}, expires {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M} "
                          "(shown once; send it as 'Authorization: Bearer …'):")
        self.stdout.write(raw)
