"""Printable PDF documents, the same for every module (fpdf2).

Two shapes, each returned as the bytes of one PDF for a whole batch:

- :func:`letters_pdf`: mail-merge letters on A4, one per recipient, the
  address block placed for a window envelope, then a date, a subject, body
  paragraphs, a highlighted code (an invitation or claim code) and a URL.
  Used for the invitations of citizens' assemblies drawn by lot.
- :func:`sheet_pdf`: a title and a text block, then ruled columns to be
  filled by hand, the header row repeated on every page (paper signature
  sheets, attendance lists).

The helper formats nothing itself: callers pass text already translated and
dates already written (``civic.core.time`` / ``|date``), so the same
function serves every locale. User text should be plain text (it is drawn,
never interpreted as markup).

Font: French needs more than the PDF core fonts' Latin-1 (œ, €, the narrow
no-break space before « ; : ! ? » and inside « »). We embed DejaVu Sans,
from Debian's ``fonts-dejavu-core`` package (``/usr/share/fonts/truetype/dejavu``;
the Makefile's ``install`` and ``.ci/run`` install it). ``CIVIC_PDF_FONT_DIR``
names another directory holding ``DejaVuSans.ttf``, ``DejaVuSans-Bold.ttf``,
``DejaVuSansMono.ttf`` and ``DejaVuSansMono-Bold.ttf``. Only the glyphs used
are embedded (fpdf2 subsets), so a letter batch stays small.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR_DEFAULT = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
    ("mono", "B"): "DejaVuSansMono-Bold.ttf",
}

# A4 in millimetres. Margins leave room for printers that cannot print to the edge.
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 20.0

# The recipient's address, for the right-hand window envelopes used in France
# (DL 110 x 220 mm and C5/6 with a 45 x 100 mm window 20 mm from the right and
# 15 mm from the bottom), the A4 sheet folded in three (folds at 99 and 198 mm).
# The block sits inside the window with a few millimetres to spare on each side,
# whatever the sheet's play in the envelope.
ADDRESS_X, ADDRESS_Y, ADDRESS_W, ADDRESS_H = 105.0, 52.0, 85.0, 33.0
FOLDS = (99.0, 198.0)

CODE_FILL = (232, 240, 254)  # a light blue that photocopies and reads in grey too
RULE_GREY = 120


def font_dir() -> Path:
    """The directory of the embedded TTF fonts; a clear error when missing."""
    d = Path(os.environ.get("CIVIC_PDF_FONT_DIR") or FONT_DIR_DEFAULT)
    missing = [f for f in FONT_FILES.values() if not (d / f).is_file()]
    if missing:
        raise RuntimeError(
            f"PDF fonts not found in {d} ({', '.join(missing)}): install Debian's fonts-dejavu-core "
            "(apt-get install fonts-dejavu-core) or set CIVIC_PDF_FONT_DIR")
    return d


class _Document(FPDF):
    """An A4 portrait document with the fonts registered and a quiet footer."""

    def __init__(self, *, title: str = "", footer: str | None = None):
        super().__init__(orientation="P", unit="mm", format="A4")
        d = font_dir()
        for (family, style), name in FONT_FILES.items():
            self.add_font(family, style=style, fname=str(d / name))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_creator("Civic")
        if title:
            self.set_title(title)
        self.set_lang("fr")
        self.footer_text = footer
        self.repeat_header = None  # set by sheet_pdf: drawn at the top of each new page

    def header(self):
        if self.repeat_header is not None:
            self.repeat_header(self)

    def footer(self):
        if self.footer_text:
            self.set_y(-12)
            self.set_font("sans", size=8)
            self.set_text_color(90)
            text = self.footer_text.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
            self.cell(0, 5, text, align="C")
            self.set_text_color(0)


@dataclass(frozen=True)
class Letter:
    """One merged letter. Every field is plain, already-translated text.

    ``address``: the recipient's lines (name, street, postcode and town);
    ``sender``: the return address, top left; ``date``: written by the
    caller ("Toulouse, le 3 décembre 2026"); ``body``: paragraphs;
    ``code``/``code_label``: the code to type, shown large in a shaded box;
    ``url``/``url_label``: the address where to type it; ``signature``: the
    closing lines under the body.
    """

    address: Sequence[str]
    body: Sequence[str]
    date: str = ""
    subject: str = ""
    sender: Sequence[str] = ()
    code: str = ""
    code_label: str = ""
    url: str = ""
    url_label: str = ""
    signature: Sequence[str] = field(default_factory=tuple)


def _fold_marks(pdf: FPDF) -> None:
    pdf.set_draw_color(RULE_GREY)
    pdf.set_line_width(0.2)
    for y in FOLDS:
        pdf.line(4, y, 9, y)
    pdf.set_draw_color(0)


def _letter_page(pdf: _Document, letter: Letter) -> None:
    pdf.add_page()
    _fold_marks(pdf)
    if letter.sender:
        pdf.set_font("sans", size=9)
        pdf.set_xy(MARGIN, MARGIN)
        pdf.multi_cell(80, 4.5, "\n".join(letter.sender), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # The address: at most as many lines as the window shows, each cut to its width.
    pdf.set_font("sans", size=11)
    line_h = 5.2
    lines = [ln for ln in (str(a).strip() for a in letter.address) if ln][: int(ADDRESS_H // line_h)]
    for i, text in enumerate(lines):
        pdf.set_xy(ADDRESS_X, ADDRESS_Y + i * line_h)
        while text and pdf.get_string_width(text) > ADDRESS_W:
            text = text[:-1]
        pdf.cell(ADDRESS_W, line_h, text)
    y = ADDRESS_Y + ADDRESS_H + 8
    if letter.date:
        pdf.set_font("sans", size=10)
        pdf.set_xy(ADDRESS_X, y)
        pdf.cell(ADDRESS_W, 5, letter.date)
        y += 12
    pdf.set_xy(MARGIN, y)
    width = PAGE_W - 2 * MARGIN
    if letter.subject:
        pdf.set_font("sans", "B", 11)
        pdf.multi_cell(width, 5.5, letter.subject, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    pdf.set_font("sans", size=10.5)
    for para in letter.body:
        pdf.multi_cell(width, 5.2, str(para), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2.5)
    if letter.code:
        pdf.ln(2)
        if letter.code_label:
            pdf.set_font("sans", size=10)
            pdf.multi_cell(width, 5, letter.code_label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        pdf.set_font("mono", "B", 18)
        box_w = min(width, pdf.get_string_width(letter.code) + 16)
        pdf.set_fill_color(*CODE_FILL)
        pdf.set_line_width(0.4)
        pdf.cell(box_w, 13, letter.code, border=1, align="C", fill=True,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    if letter.url:
        if letter.url_label:
            pdf.set_font("sans", size=10)
            pdf.multi_cell(width, 5, letter.url_label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("mono", "B", 11)
        pdf.multi_cell(width, 6, letter.url, link=letter.url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    if letter.signature:
        pdf.ln(4)
        pdf.set_font("sans", size=10.5)
        pdf.multi_cell(width, 5.2, "\n".join(letter.signature), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def letters_pdf(letters: Iterable[Letter], *, title: str = "") -> bytes:
    """The PDF of a batch of merged letters, each starting on a new page (one
    page per letter unless its body is longer than a page), in the order
    given, ready to print, fold in three and put in window envelopes.

    ``letters`` may be a generator; at least one letter is needed."""
    pdf = _Document(title=title)
    for letter in letters:
        _letter_page(pdf, letter)
    if pdf.page_no() == 0:
        raise ValueError("letters_pdf needs at least one letter")
    return bytes(pdf.output())


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header and its share of the width (any
    positive numbers: they are scaled to the page)."""

    header: str
    weight: float = 1.0


def sheet_pdf(title: str, text: Sequence[str], columns: Sequence[Column | str], *, rows: int = 25,
              row_height: float = 11.0, numbered: bool = True, footer: str = "{page} / {pages}",
              repeat_title: bool = True) -> bytes:
    """A sheet to fill by hand: ``title`` (bold) and the paragraphs of
    ``text`` on the first page, then ``rows`` empty ruled rows under the
    ``columns`` headers. The header row (and, with ``repeat_title``, the
    title) is repeated at the top of every following page, so a page
    separated from the others still says what it is. ``numbered`` adds a
    first narrow column with the row's number (1, 2, ... across pages);
    ``footer`` is written at the bottom of each page, ``{page}`` and
    ``{pages}`` replaced (an empty string for none).
    """
    cols = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
    if not cols:
        raise ValueError("sheet_pdf needs at least one column")
    if any(c.weight <= 0 for c in cols):
        raise ValueError("column weights must be positive")
    if rows < 1:
        raise ValueError("sheet_pdf needs at least one row")
    pdf = _Document(title=title, footer=footer or None)
    width = PAGE_W - 2 * MARGIN
    num_w = 10.0 if numbered else 0.0
    total = sum(c.weight for c in cols)
    widths = [(width - num_w) * c.weight / total for c in cols]

    # A header word wider than its column would be cut mid-word: the headers'
    # size shrinks (down to 6 pt) until the longest word of each fits.
    header_size = 9.0
    pdf.set_font("sans", "B", header_size)
    while header_size > 6 and any(pdf.get_string_width(word) > w - 2 - 2 * pdf.c_margin
                                  for c, w in zip(cols, widths, strict=True) for word in c.header.split()):
        header_size -= 0.5
        pdf.set_font("sans", "B", header_size)

    def header_row(doc: FPDF) -> None:
        doc.set_font("sans", "B", header_size)
        doc.set_fill_color(235)
        doc.set_draw_color(RULE_GREY)
        doc.set_line_width(0.2)
        # Header cells of equal height, even when one header wraps.
        lines = max(len(doc.multi_cell(w - 2, 4.5, c.header, dry_run=True, output="LINES"))
                    for c, w in zip(cols, widths, strict=True))
        h = max(8.0, lines * 4.5 + 2)
        x, y = MARGIN, doc.get_y()
        if numbered:
            doc.rect(x, y, num_w, h, style="DF")
            doc.set_xy(x, y)
            doc.cell(num_w, h, "#", align="C")
            x += num_w
        for c, w in zip(cols, widths, strict=True):
            doc.rect(x, y, w, h, style="DF")
            doc.set_xy(x + 1, y + (h - lines * 4.5) / 2)
            doc.multi_cell(w - 2, 4.5, c.header, align="C")
            x += w
        doc.set_xy(MARGIN, y + h)

    def page_top(doc: FPDF) -> None:
        if doc.page_no() > 1:
            if repeat_title:
                doc.set_font("sans", "B", 10)
                doc.multi_cell(width, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                doc.ln(2)
            header_row(doc)

    pdf.add_page()
    pdf.set_font("sans", "B", 14)
    pdf.multi_cell(width, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("sans", size=10)
    for para in text:
        pdf.multi_cell(width, 5, str(para), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    pdf.ln(2)
    header_row(pdf)
    pdf.repeat_header = page_top  # from the next page on
    pdf.set_draw_color(RULE_GREY)
    for n in range(1, rows + 1):
        if pdf.will_page_break(row_height):
            pdf.add_page()  # header() draws the title and header row
            pdf.set_draw_color(RULE_GREY)
        x, y = MARGIN, pdf.get_y()
        if numbered:
            pdf.set_font("sans", size=8)
            pdf.set_text_color(90)
            pdf.set_xy(x, y)
            pdf.cell(num_w, row_height, str(n), border=1, align="C")
            pdf.set_text_color(0)
            x += num_w
        for w in widths:
            pdf.rect(x, y, w, row_height)
            x += w
        pdf.set_xy(MARGIN, y + row_height)
    return bytes(pdf.output())
