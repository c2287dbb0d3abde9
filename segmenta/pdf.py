"""A template rendered to PDF with WeasyPrint: the adverse-event report (treatment) and the
documents (letters, consent sheets, the patient's copy). Below every floor, so each may use it.

WeasyPrint is imported on first use: it loads Pango, which only printing needs."""

from django.conf import settings

STYLESHEETS = settings.PACKAGE_DIR / "static" / "segmenta"
# The archival variant of the documents: PDF/A-3b (fonts embedded, colours defined, an
# identifier and metadata), which WeasyPrint writes and the tests check.
ARCHIVAL = "pdf/a-3b"


def html_to_pdf(html, stylesheet="report.css", variant=None):
    """``html`` as PDF bytes, styled by ``stylesheet`` (a file in static/segmenta/);
    ``variant`` a WeasyPrint PDF variant such as :data:`ARCHIVAL`, else plain PDF."""
    from weasyprint import CSS, HTML

    options = {"pdf_variant": variant} if variant else {}
    return HTML(string=html, base_url=str(STYLESHEETS)).write_pdf(
        stylesheets=[CSS(filename=str(STYLESHEETS / stylesheet))], **options)

