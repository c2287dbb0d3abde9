"""`segmenta kb`: validate, list, show and export the knowledge base."""

import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.knowledge.base import DATA_DIR, KINDS, KnowledgeError, load, load_from


class Command(BaseCommand):
    help = "The knowledge base: validate | list KIND | show KIND ID [--json] | export --json | reindex"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        validate = sub.add_parser("validate", help="check every file's schema and cross-references")
        validate.add_argument("--data", default=str(DATA_DIR), help="a data folder (default: the shipped one)")
        listing = sub.add_parser("list", help="list the entries of one kind")
        listing.add_argument("kind", metavar="KIND", help=", ".join(KINDS))
        show = sub.add_parser("show", help="one entry")
        show.add_argument("kind", metavar="KIND")
        show.add_argument("entry_id", metavar="ID")
        show.add_argument("--json", action="store_true", help="as JSON")
        export = sub.add_parser("export", help="everything")
        export.add_argument("--json", action="store_true", required=True, help="as JSON (the only format)")
        sub.add_parser("reindex", help="rebuild the Learn search index of the shipped knowledge base")

    def handle(self, *args, subcommand, **options):
        if subcommand == "validate":
            try:
                kb = load_from(options["data"])
            except KnowledgeError as error:
                for problem in error.problems:
                    self.stderr.write(problem)
                raise CommandError(f"knowledge base INVALID: {len(error.problems)} problem(s)") from None
            counts = ", ".join(f"{len(v)} {k}" for k, v in kb.entries.items())
            self.stdout.write(f"knowledge base OK: version {kb.version}; {counts}")
            return
        kb = load()
        if subcommand == "reindex":
            from segmenta.knowledge.search import LANGUAGES, build

            for lang in LANGUAGES:
                build(kb, force=True, lang=lang)
            self.stdout.write(f"search index built: version {kb.version}, "
                              f"{sum(len(entries) for entries in kb.entries.values())} entries")
            return
        if subcommand == "export":
            self.stdout.write(json.dumps(kb.export(), indent=2, ensure_ascii=False))
            return
        kind = options["kind"]
        if kind not in KINDS:
            raise CommandError(f"KIND: unknown kind {kind!r} (one of {', '.join(KINDS)})", returncode=2)
        if subcommand == "list":
            for entry in kb.all(kind):
                evidence = entry.get("evidence", entry.get("type", ""))
                self.stdout.write(f"{entry['id']}\t{entry['name']}\t{evidence}")
            return
        key = options["entry_id"]
        entry = kb.get(kind, int(key) if kind == "choir-segment" and key.isdigit() else key)
        if entry is None:
            raise CommandError(f"ID: no {kind} with id {key!r}", returncode=2)
        if options["json"]:
            self.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False))
            return
        for name, value in entry.items():
            self.stdout.write(f"{name}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
        for source_id in entry.get("sources", []):
            source = kb.source(source_id)
            self.stdout.write(f"  source {source_id}: {source['name']}{' — ' + source['url'] if 'url' in source else ''}")
