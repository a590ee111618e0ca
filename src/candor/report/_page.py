"""The report's page: one HTML document with its styles inline, a table of contents, the
sections, and print rules. No scripts, fonts or images from anywhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;
 margin-top:2em}h3{margin-top:1.4em}
table.grid,section table{border-collapse:collapse;font-size:.86em;margin:.5em 0}
table.grid td,table.grid th,section table td,section table th{border:1px solid #ccc;
 padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3}figure{margin:.8em 0;display:inline-block;max-width:100%}
figure svg{max-width:100%;height:auto}figcaption{font-size:.8em;color:#555;max-width:640px}
.row{display:flex;flex-wrap:wrap;gap:1em}.row figure{max-width:48%}.scroll{overflow-x:auto}
.todo{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em}
nav ol{columns:2;font-size:.9em}small{color:#555}.card{background:#fafafa;padding:.5em 1em;
 border:1px solid #e5e5e5}code{background:#f3f3f3;padding:0 .2em}
@media print{body{max-width:none;margin:0}nav{display:none}section,figure,table{
 page-break-inside:avoid}h2{page-break-after:avoid}.scroll{overflow:visible}}
"""


@dataclass(frozen=True)
class Section:
    """One part of the report: an anchor, a title and its HTML body."""

    key: str
    title: str
    body: str
    ran: bool  # False when the section only says what to run


def todo(text: str) -> str:
    """A note saying what to run for a section to fill in."""
    return f'<p class="todo">{text}</p>'


def page(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole document."""
    toc = "".join(f'<li><a href="#{s.key}">{escape(s.title)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{s.key}" data-ran="{str(s.ran).lower()}"><h2>{escape(s.title)}</h2>'
        f"{s.body}</section>"
        for s in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<nav><ol>{toc}</ol></nav>{body}</body></html>\n"
    )


def _inline(text: str) -> str:
    t = escape(text)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)


def markdown_html(md: str) -> str:
    """The small Markdown the model card uses (headings, lists, tables, paragraphs) as HTML."""
    out: list[str] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line:
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 2, 6)  # the card sits under an <h2>
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.lstrip().startswith(("- ", "* ")):
            items = []
            while i < len(lines) and lines[i].lstrip().startswith(("- ", "* ")):
                items.append(f"<li>{_inline(lines[i].lstrip()[2:])}</li>")
                i += 1
            out.append(f"<ul>{''.join(items)}</ul>")
        elif line.startswith("|"):
            rows: list[str] = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[i].strip())[1:-1]]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    tag = "th" if not rows else "td"
                    rows.append(
                        "<tr>"
                        + "".join(
                            f"<{tag}>{_inline(c.replace(chr(92) + '|', '|'))}</{tag}>"
                            for c in cells
                        )
                        + "</tr>"
                    )
                i += 1
            out.append(f'<table class="grid">{"".join(rows)}</table>')
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ")):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return "".join(out)
