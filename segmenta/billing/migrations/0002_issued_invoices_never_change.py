"""Database triggers that keep an issued invoice and its lines as they were issued, even
against raw SQL; and, on PostgreSQL, every reference between invoice rows within one clinic.

An invoice row may change while it is a draft; once issued, only its status may move from
issued to cancelled, every other column staying as it is (the creator's and clinic's columns
aside, which follow a user or chart that is removed or moved). A line may be added or changed
only while its invoice is a draft. Deleting is left to the models (which refuse it for issued
invoices) and to the retention purge, which deletes a whole chart: on SQLite Django's test
flush deletes rows one by one, as with the audit trail's triggers.
"""

from django.db import migrations

from segmenta.accounts.scoping import clinic_match_operation

FROZEN = ["patient_id", "session_id", "kind", "cancels_id", "schedule", "number", "issued_at", "issue_date",
          "due_date", "recipient_name", "recipient_address", "recipient_country", "language", "currency",
          "net_total", "vat_total", "total", "seller", "issued_by_id"]
LINE_COLUMNS = ["invoice_id", "position", "date", "code", "description", "quantity", "unit_fee", "factor",
                "threshold", "ceiling", "amount", "justification", "is_expense"]
INVOICE_CHANGED = "NOT (OLD.status = 'draft' OR (OLD.status = 'issued' AND NEW.status IN ('issued', 'cancelled') "\
                  "AND NOT ({changed})) OR (OLD.status = 'cancelled' AND NEW.status = 'cancelled' AND NOT ({changed})))"
INVOICE_MESSAGE = "an issued invoice cannot be changed"
LINE_MESSAGE = "the lines of an issued invoice cannot be changed"


def _changed(columns, distinct):
    return " OR ".join(f'NEW."{c}" {distinct} OLD."{c}"' for c in columns)


def _not_draft(column):
    return f"(SELECT status FROM billing_invoice WHERE id = {column}) <> 'draft'"


def _sqlite(frozen=FROZEN, line_columns=LINE_COLUMNS):
    invoice = INVOICE_CHANGED.format(changed=_changed(frozen, "IS NOT"))
    line_update = f"({_not_draft('OLD.invoice_id')} OR {_not_draft('NEW.invoice_id')}) " \
                  f"AND ({_changed(line_columns, 'IS NOT')})"
    return [
        f"""CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE ON billing_invoice WHEN {invoice}
        BEGIN SELECT RAISE(ABORT, '{INVOICE_MESSAGE}'); END""",
        f"""CREATE TRIGGER billing_line_frozen BEFORE UPDATE ON billing_invoiceline WHEN {line_update}
        BEGIN SELECT RAISE(ABORT, '{LINE_MESSAGE}'); END""",
        f"""CREATE TRIGGER billing_line_added_late BEFORE INSERT ON billing_invoiceline
        WHEN {_not_draft('NEW.invoice_id')}
        BEGIN SELECT RAISE(ABORT, '{LINE_MESSAGE}'); END""",
    ], ["DROP TRIGGER IF EXISTS billing_invoice_frozen", "DROP TRIGGER IF EXISTS billing_line_frozen",
        "DROP TRIGGER IF EXISTS billing_line_added_late"]


def _postgresql(frozen=FROZEN, line_columns=LINE_COLUMNS):
    invoice = INVOICE_CHANGED.format(changed=_changed(frozen, "IS DISTINCT FROM"))
    line_update = f"({_not_draft('OLD.invoice_id')} OR {_not_draft('NEW.invoice_id')}) " \
                  f"AND ({_changed(line_columns, 'IS DISTINCT FROM')})"
    return [
        f"""CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
        BEGIN
            IF {invoice} THEN RAISE EXCEPTION '{INVOICE_MESSAGE}'; END IF;
            RETURN NEW;
        END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE ON billing_invoice
        FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen()""",
        f"""CREATE OR REPLACE FUNCTION billing_line_frozen() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'INSERT' AND {_not_draft('NEW.invoice_id')} THEN
                RAISE EXCEPTION '{LINE_MESSAGE}';
            END IF;
            IF TG_OP = 'UPDATE' AND {line_update} THEN RAISE EXCEPTION '{LINE_MESSAGE}'; END IF;
            RETURN NEW;
        END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER billing_line_frozen BEFORE INSERT OR UPDATE ON billing_invoiceline
        FOR EACH ROW EXECUTE FUNCTION billing_line_frozen()""",
    ], ["DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice",
        "DROP TRIGGER IF EXISTS billing_line_frozen ON billing_invoiceline",
        "DROP FUNCTION IF EXISTS billing_invoice_frozen()", "DROP FUNCTION IF EXISTS billing_line_frozen()"]


STATEMENTS = {"sqlite": _sqlite, "postgresql": _postgresql}


def forward(apps, schema_editor):
    make = STATEMENTS.get(schema_editor.connection.vendor)
    for statement in make()[0] if make else []:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    make = STATEMENTS.get(schema_editor.connection.vendor)
    for statement in make()[1] if make else []:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_invoices_payments_reminders")]
    operations = [
        migrations.RunPython(forward, backward),
        clinic_match_operation([
            ("invoice", "billing_invoice", "patient_id", "patients_patient"),
            ("invoice", "billing_invoice", "session_id", "treatment_session"),
            ("invoice", "billing_invoice", "cancels_id", "billing_invoice"),
            ("invoiceline", "billing_invoiceline", "invoice_id", "billing_invoice"),
            ("payment", "billing_payment", "invoice_id", "billing_invoice"),
            ("paymentreminder", "billing_paymentreminder", "invoice_id", "billing_invoice"),
        ]),
    ]
