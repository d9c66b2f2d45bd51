"""The shared PDF helper: what a printed letter or sheet says, read back from
the PDF itself (pypdf), French typography included."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from civic.core import pdf
from civic.core.pdf import Column, Letter, letters_pdf, sheet_pdf

NBSP, NNBSP = "\u00a0", "\u202f"


def pages_text(data: bytes) -> list[str]:
    """The text of each page. fpdf2 draws a wrapped paragraph's no-break
    space as a plain space (it only forbids the break there), so both read
    as a space here."""
    assert data.startswith(b"%PDF-")
    return [p.extract_text().replace(NBSP, " ") for p in PdfReader(io.BytesIO(data)).pages]


def letter(name: str, code: str) -> Letter:
    return Letter(
        sender=["Mairie de Toulouse", "Place du Capitole", "31000 Toulouse"],
        address=[name, "12 rue des Tanneurs", "31000 Toulouse"],
        date=f"Toulouse, le 3{NBSP}décembre 2026",
        subject="Invitation à l’assemblée citoyenne sur le vélo",
        body=[f"Vous avez été tiré·e au sort{NNBSP}! Le «{NBSP}cœur de ville{NBSP}» vous attend.",
              f"Chaque séance est indemnisée 90{NBSP}€ ; l’œuvre est collective."],
        code_label="Votre code personnel :", code=code,
        url_label="Répondez avant le 20 décembre sur :", url="https://participer.toulouse.fr/assemblees/1",
        signature=["Pour la maire,", "Le service de la participation"])


def test_one_page_per_letter_with_every_part_and_french_text():
    data = letters_pdf([letter("Mme Zoé Lefèvre", "K7QH-2MXD"), letter("M. Œdipe Bénard", "P3RT-9WZC"),
                        letter("Mme Anaïs Çelik", "B8NV-4LKE")], title="Invitations")
    texts = pages_text(data)
    assert len(texts) == 3
    first, second, third = texts
    for expected in ("Mme Zoé Lefèvre", "12 rue des Tanneurs", "Place du Capitole", "3 décembre 2026",
                     "Invitation à l’assemblée citoyenne", f"tiré·e au sort{NNBSP}!", "« cœur de ville »", "90 €", "l’œuvre", "Votre code personnel :", "K7QH-2MXD",
                     "https://participer.toulouse.fr/assemblees/1", "Le service de la participation"):
        assert expected in first, expected
    assert "M. Œdipe Bénard" in second and "P3RT-9WZC" in second and "K7QH-2MXD" not in second
    assert "Mme Anaïs Çelik" in third and "B8NV-4LKE" in third
    assert PdfReader(io.BytesIO(data)).metadata.title == "Invitations"


def test_the_address_sits_in_the_window_of_the_envelope():
    """The recipient's lines are drawn inside the 45 x 100 mm right-hand
    window of a DL envelope (the A4 folded in three), and nothing else is."""
    reader = PdfReader(io.BytesIO(letters_pdf([letter("Mme Zoé Lefèvre", "K7QH-2MXD")])))
    page = reader.pages[0]
    height = float(page.mediabox.height)
    placed = []
    page.extract_text(visitor_text=lambda text, cm, tm, *_: placed.append((text.strip(), tm[4], tm[5])))
    mm = 72 / 25.4
    in_window = [t for t, x, y in placed if t and 95 * mm < x < 195 * mm and 50 * mm < height - y < 95 * mm]
    assert in_window == ["Mme Zoé Lefèvre", "12 rue des Tanneurs", "31000 Toulouse"]


def test_no_break_spaces_hold_words_together_when_a_paragraph_wraps():
    para = " ".join(f"Séance{NBSP}{i}{NBSP}: 90{NBSP}€, «{NBSP}cœur{NBSP}»{NNBSP}!" for i in range(60))
    text = pages_text(letters_pdf([Letter(address=["A"], body=[para])]))[0]
    lines = text.splitlines()
    assert len(lines) > 10  # it did wrap
    for line in lines[1:]:
        assert not line.startswith(("€", "»", ":", "!", "cœur")), line
        assert not line.rstrip().endswith(("«", "90", "Séance")), line


def test_a_batch_can_be_a_generator_and_must_not_be_empty():
    gen = (letter(f"Personne {i}", f"CODE-{i:04d}") for i in range(40))
    texts = pages_text(letters_pdf(gen))
    assert len(texts) == 40 and "CODE-0039" in texts[39]
    with pytest.raises(ValueError):
        letters_pdf([])


def test_sheet_repeats_title_and_header_on_every_page_and_numbers_rows():
    data = sheet_pdf("Pétition «\u00a0Un arbre par élève\u00a0»",
                     ["Les soussigné·e·s demandent à la Ville de planter un arbre par élève.",
                      "Écrire lisiblement ; une signature par personne."],
                     [Column("Nom et prénom", 3), Column("Adresse", 4), Column("Signature", 1)], rows=50)
    texts = pages_text(data)
    assert len(texts) > 1
    assert "Les soussigné·e·s demandent" in texts[0]
    for i, text in enumerate(texts, 1):
        assert "Un arbre par élève" in text and "Nom et prénom" in text and "Signature" in text
        assert f"{i} / {len(texts)}" in text
    assert "Les soussigné·e·s demandent" not in texts[1]
    numbers = [int(w) for t in texts for w in t.split() if w.isdigit() and int(w) <= 50]
    assert set(range(1, 51)) <= set(numbers)


def test_sheet_refuses_a_shape_it_cannot_draw():
    with pytest.raises(ValueError):
        sheet_pdf("T", [], [])
    with pytest.raises(ValueError):
        sheet_pdf("T", [], [Column("A", 0)])
    with pytest.raises(ValueError):
        sheet_pdf("T", [], ["A"], rows=0)


def test_missing_fonts_give_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CIVIC_PDF_FONT_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="fonts-dejavu-core"):
        letters_pdf([letter("X", "Y")])
    monkeypatch.delenv("CIVIC_PDF_FONT_DIR")
    assert (pdf.font_dir() / "DejaVuSans.ttf").is_file()
