import json
import re
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from segmenta.audit.roles import BadRole, grant_app_role
from segmenta.audit.trail import anchor, seal, unsealed, verify, verify_anchor

BAD_INPUT = 2


def bad_input(message):
    return CommandError(message, returncode=BAD_INPUT)


class Command(BaseCommand):
    help = ("Audit trail tools. `audit verify [--anchor FILE_OR_JSON]` checks every sealed block and event "
            "(exit 1 on tampering, 2 on bad input) and names events not sealed yet; `audit seal [--sweep]` "
            "seals new events into their clinic's chain; `audit anchor` seals and prints each clinic's head to "
            "keep elsewhere; `audit grant-app-role ROLE` lets a PostgreSQL role run the app without rewriting "
            "the trail.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        check = sub.add_parser("verify", help="check every block's link and events, and every event's hash")
        check.add_argument("--anchor", metavar="FILE_OR_JSON",
                           help="anchors printed by `audit anchor` earlier (a file of such lines, - for standard "
                                "input, or the JSON itself): each anchored event must still be there, unchanged, "
                                "and the trail at least as long")
        sealer = sub.add_parser("seal", help="seal new events into their clinic's chain of blocks (the app does "
                                             "this every few seconds after requests; run it from cron too)")
        sealer.add_argument("--sweep", action="store_true",
                            help="look at every event, not only the last minutes (finds events of long transactions)")
        sub.add_parser("anchor", help="seal, then print each clinic's head (block, hash, number of events, time) "
                                      "as one JSON line, to keep outside the database")
        grant = sub.add_parser("grant-app-role", help="PostgreSQL: give ROLE what the app needs, and on the audit "
                                                      "trail only SELECT and INSERT (run as the tables' owner)")
        grant.add_argument("role")

    def handle(self, *args, subcommand, **options):
        if subcommand == "anchor":
            self.stdout.write(json.dumps(anchor(), separators=(",", ":")))
        elif subcommand == "seal":
            self.stdout.write(f"sealed {seal(sweep=options['sweep'])} event(s)")
        elif subcommand == "grant-app-role":
            try:
                with transaction.atomic():
                    grant_app_role(connection, options["role"])
            except BadRole as error:
                raise bad_input(str(error)) from None
            self.stdout.write(f"role {options['role']}: all tables; the audit trail only SELECT and INSERT")
        else:
            self._verify(options["anchor"])

    def _verify(self, anchor_arg):
        anchors = _read_anchors(anchor_arg) if anchor_arg is not None else []
        checked, problems = verify()
        lines = [f"event {event_id}: {problem}" if event_id else problem for event_id, problem in problems]
        for kept in anchors:
            lines += [f"anchor: {problem}" for problem in verify_anchor(kept)]
        for line in lines:
            self.stderr.write(line)
        if lines:
            raise CommandError(f"audit trail FAILED verification: {len(lines)} problem(s) in {checked} events")
        tail = unsealed()
        # Only heads kept outside the database show a trail cut short at its end.
        held = f", {len(anchors)} anchor(s) hold" if anchors else ""
        sealed = checked - sum(chain["events"] for chain in tail)
        self.stdout.write(f"audit trail OK: {checked} events, {sealed} sealed{held}")
        for chain in tail:
            name = f"clinic {chain['clinic']}" if chain["clinic"] else "events without a clinic"
            self.stdout.write(f"not sealed yet: {name}: {chain['events']} event(s) since {chain['since'].isoformat()} "
                              f"(`segmenta audit seal` seals them)")


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
    if "chains" not in kept:
        return _parse_linked_anchor(kept, where)
    if not isinstance(kept["chains"], list):
        raise bad_input(f"{where}: chains: must be a list of heads")
    heads = []
    for number, head in enumerate(kept["chains"], 1):
        at = f"{where}: chains[{number}]"
        if not isinstance(head, dict):
            raise bad_input(f"{at}: expected a JSON object")
        clinic, block, digest = head.get("clinic"), head.get("block"), head.get("hash")
        if clinic is not None and (type(clinic) is not int or clinic < 1):
            raise bad_input(f"{at}: clinic: must be a clinic id (a positive whole number) or null")
        if type(block) is not int or block < 1:
            raise bad_input(f"{at}: block: must be a block number (a positive whole number)")
        _check_hash(digest, at)
        heads.append({"clinic": clinic, "block": block, "hash": digest})
    return {"chains": heads}


def _parse_linked_anchor(kept, where):
    """An anchor printed before blocks existed: the head event of the one chain then."""
    event, count, digest = kept.get("event"), kept.get("events"), kept.get("hash")
    if event is not None and (type(event) is not int or event < 1):
        raise bad_input(f"{where}: event: must be an event id (a positive whole number) or null")
    if type(count) is not int or count < 0 or (event is None) != (count == 0):
        raise bad_input(f"{where}: events: must be the number of events (0 only when event is null)")
    _check_hash(digest, where)
    return {"event": event, "events": count, "hash": digest}


def _check_hash(digest, where):
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise bad_input(f"{where}: hash: must be 64 lowercase hexadecimal characters")
