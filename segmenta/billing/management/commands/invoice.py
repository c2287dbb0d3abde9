"""`segmenta invoice`: invoices from the command line. One subcommand per action, each
registered in SUBCOMMANDS, so further ones (issuing, exports) join without touching the rest."""

from django.core.management.base import BaseCommand
from django.db import transaction

from segmenta.audit.trail import record
from segmenta.billing import engine
from segmenta.billing.proposal import ProposalRefused, propose_invoice
from segmenta.commandline import refuse
from segmenta.treatment.models import Session


def _propose_arguments(parser):
    parser.add_argument("session_id", metavar="SESSION_ID", help="a signed session's id")


def _propose(command, options):
    """Print the proposed invoice of a signed session as JSON, as the API answers it."""
    session_id = options["session_id"]
    if not session_id.isdigit():
        raise refuse(f"SESSION_ID: {session_id!r} is not a session id (a positive number)")
    session = Session.objects.select_related("patient", "patient__clinic", "practitioner__profile",
                                             "signed_by__profile").filter(pk=int(session_id)).first()
    if session is None:
        raise refuse(f"SESSION_ID: no session with id {session_id}")
    try:
        proposal = propose_invoice(session)
    except ProposalRefused as refused:
        raise refuse(f"SESSION_ID {session_id}: {refused.field}: {refused.message}") from None
    with transaction.atomic():
        record("view", patient=session.patient, obj=session,
               detail={"via": "cli", "invoice_proposal": proposal["schedule"]})
    command.stdout.write(engine.to_json(proposal))


# name: (help, add its arguments, run it)
SUBCOMMANDS = {
    "propose": ("the invoice a signed session proposes, as JSON", _propose_arguments, _propose),
}


class Command(BaseCommand):
    help = "Invoices: propose SESSION_ID"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, (text, arguments, _run) in SUBCOMMANDS.items():
            arguments(sub.add_parser(name, help=text))

    def handle(self, *args, subcommand, **options):
        SUBCOMMANDS[subcommand][2](self, options)
