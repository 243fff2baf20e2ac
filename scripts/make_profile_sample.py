"""Write the sample export of the fictional "Klientis" system for the klientis-de profile.

Run from the repository root: ``python scripts/make_profile_sample.py``. The output is committed
as ``evaluation/intake/profiles/samples/klientis-export.xlsx`` so users can see what the
profile maps.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

OUT = Path("evaluation/intake/profiles/samples/klientis-export.xlsx")

SHEETS: dict[str, list[list[object]]] = {
    "Info": [
        ["Feld", "Wert"],
        ["Organisation", "Kompass Ausstieg gGmbH (fiktiv)"],
        ["Stand", "30.06.2025"],
        ["Quellsystem", "Klientis 4.2"],
    ],
    "Programme": [
        ["Programm-ID", "Programmname", "Land", "Interventionsart", "Setting", "Beginn", "Ende"],
        [
            "KOMPASS-OFFEN",
            "Kompass Offene Ausstiegsarbeit (fiktiv)",
            "DE",
            "Ausstiegsprogramm",
            "offen",
            "01.01.2021",
            "",
        ],
        [
            "KOMPASS-JVA",
            "Kompass Übergang Haft (fiktiv)",
            "DE",
            "Ausstiegsbegleitung",
            "Justiz",
            dt.date(2022, 4, 1),
            "31.12.2026",
        ],
    ],
    "Klienten": [
        [
            "Fallnummer",
            "Programm-ID",
            "Klientenart",
            "Erstanfrage am",
            "Fallbeginn",
            "Hilfeplan am",
            "Fallende",
            "Abschlussgrund",
            "Zugang über",
            "Teilnahme",
            "Setting bei Aufnahme",
            "Phänomenbereich",
            "Geschlecht",
            "Altersgruppe",
            "Rückkehrer",
            "Risiko bei Aufnahme",
            "Region",
            "Bemerkung",
            "Sachbearbeitung",
        ],
        [
            "KO-1001",
            "KOMPASS-OFFEN",
            "Aussteigende Person",
            "02.01.2024",
            "05.01.2024",
            "01.02.2024",
            "31.03.2025",
            "Ziele erreicht",
            "Selbstmelder",
            "freiwillig",
            "Gemeinwesen",
            "rechtsextrem",
            "männlich",
            "25-34",
            "nein",
            "hoch",
            "DE30",
            "siehe Akte",
            "Team Nord",
        ],
        [
            "KO-1002",
            "KOMPASS-OFFEN",
            "Aussteigende Person",
            "28.03.2024",
            "02.04.2024",
            "",
            "15.12.2024",
            "Kontakt verloren",
            "Polizei",
            "freiwillig",
            "Gemeinwesen",
            "islamistisch",
            "weiblich",
            "18-24",
            "nein",
            "mittel",
            "DE30",
            "",
            "Team Nord",
        ],
        [
            "KO-1003",
            "KOMPASS-OFFEN",
            "Angehörige",
            "10.01.2025",
            "10.01.2025",
            "",
            "",
            "",
            "Hotline",
            "unbekannt",
            "Gemeinwesen",
            "rechtsextrem",
            "weiblich",
            "45+",
            "",
            "nicht eingeschätzt",
            "",
            "",
            "Team Süd",
        ],
        [
            "KO-2001",
            "KOMPASS-JVA",
            "Aussteigende Person",
            "",
            dt.date(2024, 5, 2),
            dt.date(2024, 6, 14),
            "",
            "",
            "JVA",
            "Auflage",
            "Strafhaft",
            "islamistisch",
            "männlich",
            "25-34",
            "ja",
            "hoch",
            "DE21",
            "",
            "Team JVA",
        ],
        [
            "KO-2002",
            "KOMPASS-JVA",
            "Aussteigende Person",
            "01.06.2024",
            "03.06.2024",
            "01.07.2024",
            "30.06.2025",
            "Verzogen",
            "Bewährungshilfe",
            "Auflage",
            "Bewährung",
            "linksextrem",
            "divers",
            "35-44",
            "nein",
            "niedrig",
            "DE21",
            "",
            "Team JVA",
        ],
    ],
    "Kontakte": [
        ["Fallnummer", "Datum", "Minuten", "Form", "Tätigkeit", "Fachkraft", "Ort"],
        ["KO-1001", "05.01.2024", 60, "persönlich", "Beratung", "Sozialarbeit", "Gemeinwesen"],
        ["KO-1001", "20.01.2024", 45, "Telefon", "Mentoring", "Ehemalige/r", "Gemeinwesen"],
        ["KO-1002", "03.04.2024", 90, "persönlich", "Beratung", "Psychologie", "Gemeinwesen"],
        ["KO-1003", "12.01.2025", 30, "Telefon", "Familienberatung", "Sozialarbeit", "Gemeinwesen"],
        [
            "KO-2001",
            dt.date(2024, 5, 2),
            120,
            "persönlich",
            "Fallkonferenz",
            "Fallmanagement",
            "JVA",
        ],
        ["KO-2001", "03.02.2025", 60, "persönlich", "Beratung", "Sozialarbeit", "Gemeinwesen"],
        ["KO-2002", "03.06.2024", 60, "persönlich", "Beratung", "Sozialarbeit", "Bewährung"],
    ],
    "Bedarfe": [
        ["Fallnummer", "Bereich", "Festgestellt am", "Stand", "Stand am"],
        ["KO-1001", "Wohnen", "10.01.2024", "erfüllt", "01.06.2024"],
        ["KO-1001", "Arbeit", "10.01.2024", "teilweise erfüllt", "01.03.2025"],
        ["KO-2001", "Psychische Gesundheit", "05.05.2024", "offen", "05.05.2024"],
    ],
    "Haft": [
        ["Fallnummer", "Ereignis", "Datum"],
        ["KO-2001", "Entlassung", "01.02.2025"],
        ["KO-2002", "Bewährung Beginn", "01.06.2024"],
    ],
}


def main() -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in SHEETS.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "DD.MM.YYYY"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    wb.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
