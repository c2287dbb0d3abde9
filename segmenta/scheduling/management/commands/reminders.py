"""`segmenta reminders send`: send the appointment reminders that are due, once each.

Meant for cron or a systemd timer every few minutes: a reminder already sent is never sent
again, one being sent by another run is left to it, and a failed one is tried again (up to
three times) while its appointment is still ahead.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from segmenta.commandline import refuse
from segmenta.scheduling import reminders


class Command(BaseCommand):
    help = "Appointment reminders: `reminders send` sends those due (SEGMENTA_REMINDER_HOURS ahead), once each."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        send = sub.add_parser("send", help="send the reminders that are due and not yet sent")
        send.add_argument("--hours", type=float, default=None,
                          help="how far ahead appointments are reminded of (default SEGMENTA_REMINDER_HOURS)")

    def handle(self, *args, subcommand, hours=None, **options):
        if hours is not None and not 0 < hours <= 24 * 14:
            raise refuse(f"--hours: between 0 and {24 * 14} hours, not {hours:g}")
        if not settings.SEGMENTA_SITE_URL.startswith(("http://", "https://")):
            raise refuse("SEGMENTA_SITE_URL: set it to the address patients open Segmenta at (https://…), "
                         "so the questionnaire links in reminders work")
        counts = reminders.send_due(hours=hours)
        self.stdout.write(f"reminders: {counts['sent']} sent, {counts['failed']} failed, "
                          f"{counts['held']} not sent (opted out or no address)")
