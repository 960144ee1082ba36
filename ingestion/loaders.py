"""Turn file bytes into ordered, typed blocks: PDF, DOCX, HTML, Markdown and plain text.

Every loader takes untrusted bytes. The third-party parsers (pypdf, python-docx, lxml) raise a
wide, undocumented range of exceptions on malformed input, so each call into them sits behind
:func:`_parser_boundary`, which turns any parser failure into :class:`CorruptFile` for that one
file. That is the only place ingestion catches broad exceptions, and why.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ingestion import detect as sniff
from ingestion.errors import CorruptFile, EncryptedPdf, IngestError, NoText
from ingestion.schemas import Block, LoadedDocument
from ingestion.visibility import remove_invisible, remove_keeping_tail

# pypdf logs every recoverable oddity of real-world PDFs as a warning or an error and goes on;
# the outcome that matters (text found, or a per-file error) is reported by the ingest itself.
# Its messages also quote the file's own text (a font encoding's name, which may hold a line
# break and forge a line of the log), so none of them is let through.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

# ---------------------------------------------------------------------------------------------
# shared text helpers

_WS = re.compile(r"[ \t\u00a0\u200b\ufeff]+")
_LIST_ITEM = re.compile(r"^\s*(?:(\d{1,3}[.)])|([a-zA-Z][.)])|([-*+•●▪◦–]))\s+(\S.*)$")
_NUMBERED_HEADING = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2})+)\.?\s+(\S.{0,80})$")
_LEGAL_HEADING = re.compile(
    r"^\s*(BAB\s+[IVXLC\d]+|Pasal\s+\d+[A-Z]?|Bagian\s+\w+|Lampiran\b)", re.I
)
_SENTENCE_END = re.compile(r"[.!?:;,]$")


_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\w) +(?=[,.;:!?)](\s|$))")


def clean(text: str) -> str:
    """Collapse runs of spaces (not newlines) and strip each line.

    Also drops the space markup leaves before punctuation ("<b>Kirim</b> ," -> "Kirim,").
    """
    lines = (_SPACE_BEFORE_PUNCT.sub("", _WS.sub(" ", line)).strip() for line in text.splitlines())
    return "\n".join(lines).strip()


@contextmanager
def _parser_boundary(filename: str, kind: str) -> Iterator[None]:
    try:
        yield
    except IngestError:
        raise
    except RecursionError as exc:
        raise CorruptFile(filename, kind=kind, detail="structure too deeply nested") from exc
    except Exception as exc:  # see the module docstring
        raise CorruptFile(filename, kind=kind, detail=f"{type(exc).__name__}: {exc}"[:200]) from exc


def _heading_level(line: str) -> int:
    """A heading level for a line of unstructured text (PDF, .txt), or 0 if it is not one.

    Only unambiguous signals count: legal divisions (BAB, Pasal), multi-level numbers
    ("2.1 Persiapan") and short upper-case lines. "1. Buka aplikasi" stays a step.
    """
    stripped = line.strip()
    if not stripped or len(stripped) > 90:
        return 0
    if (
        _LEGAL_HEADING.match(stripped)
        and len(stripped) <= 60
        and not _SENTENCE_END.search(stripped)
    ):
        return 1 if stripped.upper().startswith("BAB") else 2
    match = _NUMBERED_HEADING.match(stripped)
    if match and not _SENTENCE_END.search(stripped):
        return min(match.group(1).count(".") + 1, 6)
    letters = [c for c in stripped if c.isalpha()]
    if (
        len(letters) >= 4
        and all(c.isupper() for c in letters)
        and not stripped.endswith((".", ","))
    ):
        return 1
    return 0


def blocks_from_lines(
    lines: list[str], page: int | None = None, headings: dict[str, int] | None = None
) -> list[Block]:
    """Blocks from the lines of unstructured text: headings, lists and paragraphs.

    Blank lines end paragraphs; consecutive list items (with their wrapped continuation lines)
    form one list block. ``headings`` maps known heading texts (a PDF's bookmarks, see
    :func:`_heading_key`) to their levels.
    """
    blocks: list[Block] = []
    para: list[str] = []
    items: list[list[str]] = []  # each item: its first line, then wrapped continuation lines

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", " ".join(para), page=page))
            para.clear()
        if items:
            blocks.append(Block("list", "\n".join(" ".join(i) for i in items), page=page))
            items.clear()

    for raw in lines:
        line = _WS.sub(" ", raw).strip()
        if not line:
            flush()
            continue
        level = (headings or {}).get(_heading_key(line)) or _heading_level(line)
        if level:
            flush()
            blocks.append(Block("heading", line, level=level, page=page))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            if para:
                # The lead-in sentence ("Langkah-langkahnya:") stays a paragraph of its own.
                blocks.append(Block("paragraph", " ".join(para), page=page))
                para.clear()
            items.append([line])
            continue
        if items:
            if line[:1].islower() or not _SENTENCE_END.search(items[-1][-1]):
                items[-1].append(line)  # a wrapped item
                continue
            flush()
        para.append(line)
    flush()
    return blocks


def _heading_key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _first_heading(blocks: list[Block]) -> str | None:
    """The document's title as its headings give it: its one heading of the top level.

    When several headings share the top level, each names a section ("#### Penambahan Fitur",
    "#### Perbaikan BUG" in release notes; "Tambah Anggota Baru", "Lihat Daftar Anggota" in a
    manual), and the first of them is no title: taken as one, it prefixed every passage, so
    the "Tambah Anggota Baru" steps read "Lihat Daftar Anggota > Tambah Anggota Baru", and the
    document's own name ("catatan rilis v22.09") was nowhere. The title then comes from the
    file's metadata or its name.

    Top-level headings that follow one another with no text between are one heading: an
    agreement's cover ("KESEPAKATAN BERSAMA", "ANTARA ...", "NOMOR: ...", "TENTANG ...") is
    titled by its first line, as a one-line heading would be."""
    headings = [b for b in blocks if b.kind == "heading"]
    if not headings:
        return None
    top = min(b.level for b in headings)
    runs: list[str] = []
    previous_top = False
    for block in blocks:
        is_top = block.kind == "heading" and block.level == top
        if is_top and not previous_top:
            runs.append(block.text)
        previous_top = is_top
    return runs[0] if len(runs) == 1 else None


# ---------------------------------------------------------------------------------------------
# PDF


#: Pages with fewer letters than this in their text layer are treated as scanned images.
MIN_PAGE_LETTERS = 20

#: Reads scanned pages: 1-based page numbers -> their lines (see ``ingestion.scans``).
PageReader = Callable[[list[int]], dict[int, list[str]]]


def needs_ocr(lines: list[str]) -> bool:
    """Whether a page's text layer is too thin to be the page's text (a scanned page)."""
    return sum(ch.isalpha() for line in lines for ch in line) < MIN_PAGE_LETTERS


def load_pdf(filename: str, data: bytes, *, read_scans: PageReader | None = None) -> LoadedDocument:
    """Text layer of every page, with page numbers; refuses encrypted and image-only PDFs.

    With ``read_scans``, pages without a text layer are read by it (OCR) instead of left empty;
    pages that have one keep it.
    """
    from pypdf import PdfReader

    blocks: list[Block] = []
    with _parser_boundary(filename, "pdf"):
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password (printing restrictions only).
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # unsupported ciphers too
                raise EncryptedPdf(filename) from exc
            if not opened:
                raise EncryptedPdf(filename)
        pages = list(reader.pages)
        page_lines = [(page.extract_text() or "").splitlines() for page in pages]
        if read_scans is not None:
            scanned = [n for n, lines in enumerate(page_lines, start=1) if needs_ocr(lines)]
            if scanned:
                for number, lines in read_scans(scanned).items():
                    page_lines[number - 1] = lines
        outline = _pdf_outline(reader)
        for number, lines in enumerate(strip_page_furniture(page_lines), start=1):
            blocks.extend(blocks_from_lines(_join_hyphenated(lines), page=number, headings=outline))
        meta = reader.metadata
        meta_title = _meta_str(meta, "/Title") if meta else None
        created = (
            _pdf_date(_meta_str(meta, "/ModDate") or _meta_str(meta, "/CreationDate"))
            if meta
            else None
        )
    if not any(b.text.strip() for b in blocks):
        raise NoText(filename, pages=len(pages))
    title = meta_title if meta_title and not _is_generic_title(meta_title) else None
    return LoadedDocument(
        sniff.PDF,
        tuple(blocks),
        title=title or _first_heading(blocks),
        date=created,
        page_count=len(pages),
    )


def pdf_page_lines(filename: str, data: bytes) -> list[list[str]]:
    """The text layer of each page as printed lines (no clean-up): empty for scanned pages."""
    from pypdf import PdfReader

    with _parser_boundary(filename, "pdf"):
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # unsupported ciphers too
                raise EncryptedPdf(filename) from exc
            if not opened:
                raise EncryptedPdf(filename)
        return [(page.extract_text() or "").splitlines() for page in reader.pages]


def _pdf_outline(reader: Any) -> dict[str, int]:
    """Bookmark titles -> levels (1 = top): a PDF exported from Word lists its headings here.

    Bookmarks only improve the section paths, so a broken outline is ignored rather than
    failing a file whose text is fine.
    """
    found: dict[str, int] = {}

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                if level < 6:
                    walk(item, level + 1)
                continue
            title = getattr(item, "title", None)
            key = _heading_key(str(title)) if title else ""
            if key and len(key) <= 120:
                found.setdefault(key, level)

    try:
        walk(list(reader.outline), 1)
    except Exception:  # see the docstring; the parsers' exception range is undocumented
        return {}
    return found


_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:hal(?:aman)?|page|hlm)\.?\s*)?\d{1,4}"
    r"(?:\s*(?:/|dari|of)\s*\d{1,4})?(?:\s*[-–—])?\s*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


def strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers/footers and page numbers from the text of each page.

    A line counts as furniture when it is a bare page number ("3", "- 3 -", "Halaman 3 dari 10")
    or when it opens or closes at least half of the pages of a document of three pages or more
    either word for word ("Panduan Gampil | Diskominfo") or with a number that follows the page
    ("Panduan Gampil - 3"). Lines that differ only by other numbers (rows of a register, one per
    page) are content, not furniture.
    """

    def key(line: str) -> str:
        return _DIGITS.sub("#", plain(line))

    def plain(line: str) -> str:
        return _WS.sub(" ", line).strip().lower()

    at_edges: dict[str, list[tuple[int, str]]] = {}
    if len(pages) >= 3:
        for number, lines in enumerate(pages):
            content = [line for line in lines if line.strip()]
            for line in {*(content[:2]), *(content[-2:])}:
                at_edges.setdefault(key(line), []).append((number, line))
    furniture: set[tuple[int, str]] = set()
    for line_key, found in at_edges.items():
        if not line_key or len(found) * 2 < len(pages):
            continue
        text, count = Counter(plain(line) for _, line in found).most_common(1)[0]
        if count * 2 >= len(pages):
            furniture.update((n, line) for n, line in found if plain(line) == text)
        else:
            furniture.update(_numbered_like_pages(found))
    cleaned: list[list[str]] = []
    for number, lines in enumerate(pages):
        content_idx = [i for i, line in enumerate(lines) if line.strip()]
        edge_idx = set(content_idx[:2] + content_idx[-2:])
        cleaned.append(
            [
                line
                for i, line in enumerate(lines)
                if not _PAGE_NUMBER.match(line)
                and not (i in edge_idx and (number, line) in furniture)
            ]
        )
    return cleaned


def _numbered_like_pages(found: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """The lines among ``found`` (page index, line) whose n-th number is the page's number
    plus a fixed offset, when that holds for most of them: a running header with a page
    number. Arbitrary numbers (amounts, row numbers of a table) do not follow the pages."""
    numbered = [(n, line, [int(d[:12]) for d in _DIGITS.findall(line)]) for n, line in found]
    width = min(len(numbers) for _, _, numbers in numbered)
    for position in range(width):
        offsets = Counter(numbers[position] - n for n, _, numbers in numbered)
        offset, count = offsets.most_common(1)[0]
        if count >= 3 and count * 5 >= len(numbered) * 4:
            return {(n, line) for n, line, numbers in numbered if numbers[position] - n == offset}
    return set()


def _join_hyphenated(lines: list[str]) -> list[str]:
    """Rejoin words split across lines ("pela-" + "yanan" -> "pelayanan").

    A one-letter prefix keeps its hyphen ("e-" + "budgeting" -> "e-budgeting"), and so does
    reduplication ("anak-" + "anak" -> "anak-anak").
    """
    out: list[list[str]] = []  # each output line as parts, joined once at the end
    for line in lines:
        stripped = line.strip()
        previous = out[-1][-1].rstrip() if out else ""
        match = re.search(r"(?<![\w-])(\w+)-$", previous[-80:])
        if match and stripped[:1].islower():
            word = match.group(1)
            head = stripped.split(" ", 1)[0]
            # "e-" + "budgeting" and "anak-" + "anak" keep their hyphen; "pela-" + "yanan" not.
            keep = len(word) == 1 or head.lower().startswith(word.lower())
            out[-1][-1] = previous if keep else previous[:-1]
            out[-1].append(stripped)
            continue
        out.append([line])
    return ["".join(parts) for parts in out]


def _meta_str(meta: Any, key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    text = clean(str(value))
    return text or None


def _is_generic_title(title: str) -> bool:
    lowered = title.lower()
    return lowered in {"untitled", "document", "dokumen", "microsoft word"} or lowered.startswith(
        ("microsoft word - ", "untitled")
    )


def _pdf_date(value: str | None) -> str | None:
    match = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value or "")
    if not match:
        return None
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}"


# ---------------------------------------------------------------------------------------------
# DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def load_docx(filename: str, data: bytes) -> LoadedDocument:
    """Headings (by style), numbered and bulleted lists, and tables, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    with _parser_boundary(filename, "docx"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sniff.check_zip(filename, archive)  # before python-docx decompresses anything
        document = docx.Document(io.BytesIO(data))
        formats = _numbering_formats(document)
        blocks: list[Block] = []
        items: list[str] = []
        counters: dict[tuple[str, int], int] = {}

        def flush_list() -> None:
            if items:
                blocks.append(Block("list", "\n".join(items)))
                items.clear()
                counters.clear()

        for element in _docx_body_elements(document.element.body):
            if element.tag == f"{_W}tbl":
                flush_list()
                table_text = _docx_table(Table(element, document))
                if table_text:
                    blocks.append(Block("table", table_text))
                continue
            if element.tag != f"{_W}p":
                continue
            paragraph = Paragraph(element, document)
            text = clean(_docx_text(element)).replace("\n", " ")
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = _docx_heading_level(style)
            if level:
                flush_list()
                blocks.append(Block("heading", text, level=level))
                continue
            marker = _docx_list_marker(element, style, formats, counters)
            if marker:
                items.append(f"{marker} {text}")
                continue
            flush_list()
            blocks.append(Block("paragraph", text))
        flush_list()
        props = document.core_properties
        title = clean(props.title or "") or None
        version = clean(props.version or "") or None
        modified = props.modified if isinstance(props.modified, datetime) else None
    if not any(b.text for b in blocks):
        raise NoText(filename)
    return LoadedDocument(
        sniff.DOCX,
        tuple(blocks),
        title=title or _first_heading(blocks),
        version=version,
        date=modified.date().isoformat() if modified else None,
    )


def _docx_body_elements(body: Any) -> Iterator[Any]:
    """Paragraphs and tables in order, including those inside content controls (``w:sdt``),
    except a table of contents, whose lines would only repeat the headings."""
    for element in body.iterchildren():
        if element.tag != f"{_W}sdt":
            yield element
            continue
        gallery = element.find(f"{_W}sdtPr/{_W}docPartObj/{_W}docPartGallery")
        if gallery is not None and "contents" in (gallery.get(f"{_W}val") or "").lower():
            continue
        content = element.find(f"{_W}sdtContent")
        if content is not None:
            yield from _docx_body_elements(content)


def _docx_text(paragraph: Any) -> str:
    """A paragraph's current text: tracked insertions in, tracked deletions and field codes out
    (python-docx's ``Paragraph.text`` drops insertions)."""
    parts: list[str] = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if _docx_hidden_run(node.getparent()):
            continue  # "hidden" text (w:vanish): Word neither shows nor prints it
        parts.append(node.text or "" if node.tag == f"{_W}t" else " ")
    return "".join(parts)


def _docx_hidden_run(run: Any) -> bool:
    properties = run.find(f"{_W}rPr") if run is not None else None
    vanish = properties.find(f"{_W}vanish") if properties is not None else None
    return vanish is not None and vanish.get(f"{_W}val", "true") not in ("false", "0", "off")


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"(?:Heading|Judul)\s*(\d)", style, re.I)
    # Heading 1 sits under the Title, so shift by one when both are used; levels only order.
    return int(match.group(1)) + 1 if match else 0


def _numbering_formats(document: Any) -> dict[tuple[str, int], str]:
    """(numId, ilvl) -> numFmt ("decimal", "bullet"...) from the numbering part, if any."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for node in numbering.iterchildren(f"{_W}abstractNum"):
        levels: dict[int, str] = {}
        for lvl in node.iterchildren(f"{_W}lvl"):
            fmt = lvl.find(f"{_W}numFmt")
            levels[int(lvl.get(f"{_W}ilvl", "0"))] = (
                fmt.get(f"{_W}val", "") if fmt is not None else ""
            )
        abstract[node.get(f"{_W}abstractNumId", "")] = levels
    formats: dict[tuple[str, int], str] = {}
    for num in numbering.iterchildren(f"{_W}num"):
        ref = num.find(f"{_W}abstractNumId")
        if ref is None:
            continue
        for ilvl, fmt in abstract.get(ref.get(f"{_W}val", ""), {}).items():
            formats[(num.get(f"{_W}numId", ""), ilvl)] = fmt
    return formats


def _docx_list_marker(
    element: Any,
    style: str,
    formats: dict[tuple[str, int], str],
    counters: dict[tuple[str, int], int],
) -> str | None:
    num_pr = element.find(f"{_W}pPr/{_W}numPr")
    if num_pr is not None:
        num_id_el = num_pr.find(f"{_W}numId")
        ilvl_el = num_pr.find(f"{_W}ilvl")
        num_id = num_id_el.get(f"{_W}val", "") if num_id_el is not None else ""
        ilvl = int(ilvl_el.get(f"{_W}val", "0")) if ilvl_el is not None else 0
        if num_id == "0":
            return None
        fmt = formats.get((num_id, ilvl), "decimal" if "Number" in style else "bullet")
        key = (num_id, ilvl)
    elif style.startswith("List Number"):
        fmt, key, ilvl = "decimal", ("style:" + style, 0), 0
    elif style.startswith(("List Bullet", "List Paragraph")) or style == "List":
        fmt, key, ilvl = "bullet", ("style:" + style, 0), 0
    else:
        return None
    indent = "  " * ilvl
    if fmt in ("bullet", "none", ""):
        return f"{indent}-"
    counters[key] = counters.get(key, 0) + 1
    return f"{indent}{counters[key]}."


def _docx_table(table: Any) -> str:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = clean(" ".join(_docx_text(p) for p in cell._tc.iter(f"{_W}p")))
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# HTML

_BOILERPLATE_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "iframe", "svg", "canvas", "select", "object", "embed", "dialog",
)  # fmt: skip
# class/id tokens of page chrome. Whole tokens, so "entry-header" (a post's own title) stays
# while "site-header", "navbar" or "menu-utama" go.
_BOILERPLATE_TOKEN = re.compile(
    r"(nav|navbar|navigation|menu|breadcrumbs?|sidebar|header|footer|cookies?|banner|share|"
    r"social|related|advert|ads|skip-link|pagination|widgets?|comments?|komentar|popup|modal)"
    r"|(site|global|main|top|page)[-_](header|footer|nav|menu)"
    r"|(nav|menu|sidebar|breadcrumb|cookie|share|social|widget|footer|comment)[-_][\w-]*",
    re.I,
)
_BLOCK_TAGS = {"p", "div", "section", "article", "blockquote", "dd", "dt", "figcaption", "address"}


def load_html(filename: str, text: str) -> LoadedDocument:
    """The main content of a web page: no navigation, header, footer, asides or scripts."""
    import lxml.html
    from lxml import etree

    with _parser_boundary(filename, "html"):
        # The text is already decoded; without the encoding lxml reads the bytes as Latin-1
        # when the page declares no charset ("👋" became "ð\x9f\x91\x8b").
        parser = lxml.html.HTMLParser(
            remove_comments=True, remove_pis=True, huge_tree=False, encoding="utf-8"
        )
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
        head_title = root.findtext(".//title")
        lang = root.get("lang")
        remove_invisible(root)  # index what a reader sees (before <style> goes as boilerplate)
        for element in list(root.iter(*_BOILERPLATE_TAGS)):
            remove_keeping_tail(element)
        for element in list(root.iter(etree.Element)):
            hint = f"{element.get('class', '')} {element.get('id', '')} {element.get('role', '')}"
            if (
                element.tag not in ("html", "body", "main", "article")
                and element.get("role") != "main"
                and any(_BOILERPLATE_TOKEN.fullmatch(token) for token in hint.split())
                and element.getparent() is not None
            ):
                remove_keeping_tail(element)
        main = _main_element(root)
        blocks = _html_blocks(main)
    if not any(b.text for b in blocks):
        raise NoText(filename)
    title = _first_heading(blocks) or (clean(head_title).split(" | ")[0] if head_title else None)
    declared = {"language": lang.split("-")[0].lower()} if lang else {}
    return LoadedDocument(sniff.HTML, tuple(blocks), title=title or None, declared=declared)


def _main_element(root: Any) -> Any:
    for path in (".//main", ".//*[@role='main']", ".//article"):
        found = (
            root.find(path) if not path.startswith(".//*[") else next(iter(root.xpath(path)), None)
        )
        if found is not None and clean(found.text_content()):
            return found
    body = root.find(".//body")
    return body if body is not None else root


def _html_blocks(main: Any) -> list[Block]:
    """Walk the content iteratively (deeply nested pages must not exhaust the stack)."""
    blocks: list[Block] = []
    inline: list[str] = []

    def flush_inline() -> None:
        text = clean(" ".join(inline)).replace("\n", " ")
        inline.clear()
        if text:
            blocks.append(Block("paragraph", text))

    # Stack of (element, entering); on entering a "leaf block" we emit it whole.
    stack: list[tuple[Any, bool]] = [(main, True)]
    while stack:
        element, entering = stack.pop()
        if not entering:
            if element.tag in _BLOCK_TAGS:
                flush_inline()
            if element.tail:
                inline.append(element.tail)
            continue
        tag = element.tag if isinstance(element.tag, str) else ""
        if re.fullmatch(r"h[1-6]", tag):
            flush_inline()
            text = _inline_text(element)
            if text:
                blocks.append(Block("heading", text, level=int(tag[1])))
            if element.tail:
                inline.append(element.tail)
            continue
        if tag in ("ul", "ol"):
            flush_inline()
            text = _html_list(element)
            if text:
                blocks.append(Block("list", text))
            if element.tail:
                inline.append(element.tail)
            continue
        if tag == "table":
            flush_inline()
            text = _html_table(element)
            if text:
                blocks.append(Block("table", text))
            if element.tail:
                inline.append(element.tail)
            continue
        if tag == "dl" and _plain_definitions(element):
            flush_inline()
            blocks.extend(Block("paragraph", text) for text in _html_definitions(element))
            if element.tail:
                inline.append(element.tail)
            continue
        if tag == "pre":
            flush_inline()
            text = element.text_content().strip("\n")
            if text.strip():
                blocks.append(Block("code", text))
            if element.tail:
                inline.append(element.tail)
            continue
        if tag == "br":
            inline.append("\n")
            if element.tail:
                inline.append(element.tail)
            continue
        if tag in _BLOCK_TAGS:
            flush_inline()
        if element.text:
            inline.append(element.text)
        stack.append((element, False))
        children = [child for child in element if isinstance(child.tag, str)]
        stack.extend((child, True) for child in reversed(children))
    flush_inline()
    return blocks


def _inline_text(element: Any) -> str:
    return clean(" ".join(element.itertext())).replace("\n", " ")


def _html_list(element: Any, depth: int = 0) -> str:
    lines: list[str] = []
    numbered = element.tag == "ol"
    number = int(element.get("start", "1")) if (element.get("start") or "").isdigit() else 1
    for item in element.iterchildren("li"):
        own = " ".join(
            part
            for part in (
                item.text or "",
                *(
                    _text_outside_lists(child)
                    for child in item
                    if isinstance(child.tag, str) and child.tag not in ("ul", "ol")
                ),
            )
        )
        text = clean(own).replace("\n", " ")
        marker = f"{number}." if numbered else "-"
        if text:
            lines.append(f"{'  ' * depth}{marker} {text}")
            number += 1
        for sub in (child for child in item if child.tag in ("ul", "ol")):
            if depth < 4:
                lines.append(_html_list(sub, depth + 1))
    return "\n".join(line for line in lines if line)


def _text_outside_lists(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("ul", "ol"):
            parts.append(_text_outside_lists(child))
        parts.append(child.tail or "")
    return " ".join(parts) + " " + (element.tail or "")


def _plain_definitions(element: Any) -> bool:
    """A definition list of terms and their descriptions in running text, nothing nested."""
    children = [child for child in element if isinstance(child.tag, str)]
    return bool(children) and all(
        child.tag in ("dt", "dd")
        and not any(isinstance(sub.tag, str) and sub.tag in _STRUCTURE_TAGS for sub in child.iter())
        for child in children
    )


_STRUCTURE_TAGS = {"ul", "ol", "dl", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}


def _html_definitions(element: Any) -> list[str]:
    """Each term with its description(s) as one paragraph: "Offline: Aplikasi diinstall ...".

    Apart, a term ("1. Offline") was a paragraph of its own that answered nothing, and its
    description lost what it describes.
    """
    paragraphs: list[str] = []
    term = ""
    described = False
    for child in element:
        if not isinstance(child.tag, str):
            continue
        text = _inline_text(child)
        if child.tag == "dt":
            if term and not described:
                paragraphs.append(term)
            term, described = text, False
        elif text:
            if term and not described:
                joint = " " if term[-1:] in ".:?!" else ": "
                paragraphs.append(f"{term}{joint}{text}")
                described = True
            else:
                paragraphs.append(text)
    if term and not described:
        paragraphs.append(term)
    return [paragraph for paragraph in paragraphs if paragraph]


def _html_table(element: Any) -> str:
    rows: list[str] = []
    for row in element.iter("tr"):
        cells = [_inline_text(cell) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# Markdown and plain text

# "####Lihat Daftar Anggota": real manuals drop the space; two or more marks followed by a
# letter are a heading all the same (one mark and a word is a hashtag).
_ATX = re.compile(r"^(#{1,6})(?:\s+|(?<=##)(?=[^\W\d_]))(.*?)\s*#*\s*$")
# Inline HTML in Markdown: an HTML heading is a heading, a rule or a break is nothing, other
# tags are markup around text.
_HTML_HEADING = re.compile(r"^\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*$", re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_INLINE = (
    # A link's text holds no "[": from each of many "[" without a "]" the rest of the text
    # was scanned again (20,000 took 3.5 s).
    (re.compile(r"!\[([^\[\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\[\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
# Possessive: the runs of spaces next to one another could trade characters, quadratic in a
# row of spaces (32,000 took 30 s); the parts never need to give any back.
_TABLE_RULE = re.compile(r"^\s*+\|?\s*+:?-{3,}+:?\s*+(?:\|\s*+:?-{3,}+:?\s*+)*+\|?\s*+$")


def _md_inline(text: str) -> str:
    text = _HTML_TAG.sub(" ", text)
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def load_markdown(filename: str, text: str) -> LoadedDocument:
    """ATX/setext headings, lists, pipe tables and fenced code; YAML-like front matter."""
    lines = text.splitlines()
    declared: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next(
            (i for i, line in enumerate(lines[1:40], start=1) if line.strip() == "---"), None
        )
        if end is not None:
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and key.strip():
                    declared[key.strip().lower().replace("-", "_")] = value.strip().strip("\"'")
            lines = lines[end + 1 :]
    blocks: list[Block] = []
    buffer: list[str] = []
    in_code = False
    code: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.extend(_md_plain_blocks(buffer))
            buffer.clear()

    for index, line in enumerate(lines):
        if _FENCE.match(line):
            if in_code:
                blocks.append(Block("code", "\n".join(code)))
                code.clear()
                in_code = False
            else:
                flush()
                in_code = True
            continue
        if in_code:
            code.append(line)
            continue
        atx = _ATX.match(line) or _HTML_HEADING.match(line)
        if atx:
            flush()
            heading = clean(_md_inline(atx.group(2)))
            level = int(atx.group(1)) if atx.group(1).isdigit() else len(atx.group(1))
            if heading:
                blocks.append(Block("heading", heading, level=level))
            continue
        if (
            _SETEXT.match(line)
            and buffer
            and buffer[-1].strip()
            and index > 0
            and not _LIST_ITEM.match(buffer[-1])
            and "|" not in line
        ):
            heading = clean(_md_inline(buffer.pop()))
            flush()
            blocks.append(Block("heading", heading, level=1 if line.strip()[0] == "=" else 2))
            continue
        buffer.append(line)
    if in_code and code:
        blocks.append(Block("code", "\n".join(code)))
    flush()
    if not any(b.text for b in blocks):
        raise NoText(filename)
    title = declared.get("title") or _first_heading(blocks)
    return LoadedDocument(
        sniff.MARKDOWN,
        tuple(blocks),
        title=title,
        version=declared.get("version"),
        date=declared.get("date"),
        declared=declared,
    )


def _md_plain_blocks(lines: list[str]) -> list[Block]:
    """Paragraphs, lists and pipe tables of a run of Markdown lines without headings."""
    blocks: list[Block] = []
    table: list[str] = []
    rest: list[str] = []
    for line in [*lines, ""]:
        if line.strip().startswith("|") and line.strip().endswith("|"):
            if rest:
                blocks.extend(_md_text_blocks(rest))
                rest.clear()
            if not _TABLE_RULE.match(line):
                cells = [clean(_md_inline(c)) for c in line.strip().strip("|").split("|")]
                table.append(" | ".join(cells))
            continue
        if table:
            blocks.append(Block("table", "\n".join(table)))
            table.clear()
        rest.append(line)
    if rest:
        blocks.extend(_md_text_blocks(rest))
    return blocks


def _md_text_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    items: list[list[str]] = []  # each item: its first line, then indented continuations

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", clean(_md_inline(" ".join(para)))))
            para.clear()
        if items:
            blocks.append(Block("list", "\n".join(" ".join(i) for i in items)))
            items.clear()

    for raw in lines:
        if _RULE.match(raw):
            raw = ""  # a thematic break ends the paragraph
        if not raw.strip():
            if items:
                continue  # loose lists: blank lines between items
            flush()
            continue
        item = _LIST_ITEM.match(raw)
        if item and not item.group(2):
            if para:
                blocks.append(Block("paragraph", clean(_md_inline(" ".join(para)))))
                para.clear()
            indent = (len(raw) - len(raw.lstrip())) // 2
            marker = item.group(1) or "-"
            items.append([f"{'  ' * min(indent, 4)}{marker} {clean(_md_inline(item.group(4)))}"])
            continue
        if items and raw.startswith((" ", "\t")):
            items[-1].append(clean(_md_inline(raw)))
            continue
        if items:
            flush()
        para.append(raw.strip())
    flush()
    return [b for b in blocks if b.text]


def load_text(filename: str, text: str) -> LoadedDocument:
    """Plain text: paragraphs by blank lines; obvious headings and lists recognised."""
    blocks = blocks_from_lines(text.splitlines())
    if not any(b.text for b in blocks):
        raise NoText(filename)
    return LoadedDocument(sniff.TEXT, tuple(blocks), title=None)


# ---------------------------------------------------------------------------------------------


def load(filename: str, data: bytes) -> LoadedDocument:
    """Sniff and parse one file; raises an :class:`~ingestion.errors.IngestError` when unusable."""
    detected = sniff.detect(filename, data)
    text = detected.text
    loaders: dict[str, Callable[[], LoadedDocument]] = {
        sniff.PDF: lambda: load_pdf(filename, data),
        sniff.DOCX: lambda: load_docx(filename, data),
        sniff.HTML: lambda: load_html(filename, text or ""),
        sniff.MARKDOWN: lambda: load_markdown(filename, text or ""),
        sniff.TEXT: lambda: load_text(filename, text or ""),
    }
    return loaders[detected.media_type]()


# Public names for the scan loader (``ingestion.scans``), which builds blocks the same way.
join_hyphenated = _join_hyphenated
first_heading = _first_heading
