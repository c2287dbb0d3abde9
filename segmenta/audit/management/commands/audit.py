import json
import re
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from segmenta.audit.models import AuditEvent
from segmenta.audit.roles import BadRole, grant_app_role
from segmenta.audit.trail import anchor, verify, verify_anchor

BAD_INPUT = 2


def bad_input(message):
    return CommandError(message, returncode=BAD_INPUT)


class Command(BaseCommand):
    help = ("Audit trail tools. `audit verify [--anchor FILE_OR_JSON]` checks the hash chain (exit 1 on "
            "tampering, 2 on bad input); `audit anchor` prints the chain's head to keep elsewhere; "
            "`audit grant-app-role ROLE` lets a PostgreSQL role run the app without rewriting the trail.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        check = sub.add_parser("verify", help="check every event's hash and its link to the one before")
        check.add_argument("--anchor", metavar="FILE_OR_JSON",
                           help="anchors printed by `audit anchor` earlier (a file of such lines, - for standard "
                                "input, or the JSON itself): each anchored event must still be there, unchanged, "
                                "and the trail at least as long")
        sub.add_parser("anchor", help="print the chain's head (event, hash, number of events, time) as one JSON "
                                      "line, to keep outside the database")
        grant = sub.add_parser("grant-app-role", help="PostgreSQL: give ROLE what the app needs, and on the audit "
                                                      "trail only SELECT and INSERT (run as the tables' owner)")
        grant.add_argument("role")

    def handle(self, *args, subcommand, **options):
        if subcommand == "anchor":
            self.stdout.write(json.dumps(anchor(), separators=(",", ":")))
        elif subcommand == "grant-app-role":
            try:
                with transaction.atomic():
                    grant_app_role(connection, options["role"])
            except BadRole as error:
                raise bad_input(str(error)) from None
            self.stdout.write(f"role {options['role']}: all tables; audit_auditevent only SELECT and INSERT")
        else:
            self._verify(options["anchor"])

    def _verify(self, anchor_arg):
        anchors = _read_anchors(anchor_arg) if anchor_arg is not None else []
        checked, problems = verify()
        lines = [f"event {event_id}: {problem}" for event_id, problem in problems]
        for kept in anchors:
            lines += [f"anchor: {problem}" for problem in verify_anchor(kept, checked)]
        for line in lines:
            self.stderr.write(line)
        if lines:
            raise CommandError(f"audit trail FAILED verification: {len(lines)} problem(s) in {checked} events")
        head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or "-"
        # The head hash lets an operator anchor the trail elsewhere: a chain cut
        # short at its end is only detectable against such an outside copy.
        held = f", {len(anchors)} anchor(s) hold" if anchors else ""
        self.stdout.write(f"audit trail OK: {checked} events, head {head}{held}")


def _read_anchors(arg):
    text = arg
    if arg == "-":
        text = sys.stdin.read()
    elif not arg.lstrip().startswith(("{", "[")):
        try:
            text = Path(arg).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise bad_input(f"--anchor: cannot read {arg}: {getattr(error, 'strerror', None) or error}") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise bad_input("--anchor: no anchor given (expected the JSON line `segmenta audit anchor` printed)")
    return [_parse_anchor(line, f"--anchor line {number}" if len(lines) > 1 else "--anchor") for number, line in lines]


def _parse_anchor(line, where):
    try:
        kept = json.loads(line)
    except ValueError:
        raise bad_input(f"{where}: not JSON (expected the line `segmenta audit anchor` printed)") from None
    if not isinstance(kept, dict):
        raise bad_input(f"{where}: expected a JSON object")
    event, count, digest = kept.get("event"), kept.get("events"), kept.get("hash")
    if event is not None and (type(event) is not int or event < 1):
        raise bad_input(f"{where}: event: must be an event id (a positive whole number) or null")
    if type(count) is not int or count < 0 or (event is None) != (count == 0):
        raise bad_input(f"{where}: events: must be the number of events (0 only when event is null)")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise bad_input(f"{where}: hash: must be 64 lowercase hexadecimal characters")
    return {"event": event, "events": count, "hash": digest}
