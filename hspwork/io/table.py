"""Read one CSV or Parquet file as a table of text, counting every line it cannot use.

The loaders count what they cannot parse instead of guessing, so a CSV is read with every value
as text. Lines that do not fit the header (a blank line, a line cut short at the end of a copy,
a line with more fields than the header) are not data rows; they are counted by reason so that
the loaders' ``rows read = rows kept + rows dropped`` covers every line of the file.

Encoding
--------
The file is decoded as UTF-8 (a byte-order mark is dropped). Bytes that are not UTF-8 are
decoded one by one as Windows-1252, the encoding of Excel exports on UK desktops, and the file's
notes say how many and on which lines; a file that is wholly Windows-1252 therefore reads right,
and a UTF-8 file with one stray byte keeps its other accented letters ("café" stays "café").
Bytes that neither encoding knows become U+FFFD, noted as well.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError
from hspwork.report import RowLedger, attach_report

__all__ = ["TableRead", "charge_lines", "read_table", "read_text_table"]

PARQUET_SUFFIXES = (".parquet", ".pq")

#: Reasons for lines that are not data rows.
BLANK_LINE = "blank line (only spaces)"
SHORT_LINE = "line with fewer fields than the header (cut short)"
LONG_LINE = "line with more fields than the header"


def _utf8_with_fallback(data: bytes) -> tuple[str, list[int]]:
    """Decode UTF-8; bytes UTF-8 rejects are decoded one by one as Windows-1252.

    Returns the text and the offsets of the bytes read as Windows-1252. The loop runs once per
    stray byte, not per line: a UTF-8 file is decoded in one call.
    """
    parts: list[str] = []
    bad: list[int] = []
    pos = 0
    while True:
        try:
            parts.append(data[pos:].decode("utf-8"))
            return "".join(parts), bad
        except UnicodeDecodeError as err:
            stop = pos + err.start
            parts.append(data[pos:stop].decode("utf-8"))
            bad.append(stop)
            parts.append(data[stop : stop + 1].decode("cp1252", errors="replace"))
            pos = stop + 1


@dataclass
class TableRead:
    """One file read as text: its rows, and the lines that were not rows, by reason.

    ``frame`` holds the data rows followed by one empty row per line that was not usable, so
    that ``bad[i]`` (a reason, or ``""`` for a good row) lines up with ``frame``'s rows.
    """

    name: str
    frame: pd.DataFrame
    bad: np.ndarray  # object array: "" for a data row, else the reason the line is not one
    notes: list[str] = field(default_factory=list)


def charge_lines(bad: np.ndarray, ledger: RowLedger) -> None:
    """Drop the rows that were lines, not data (``bad`` holds each one's reason), by reason."""
    for reason in dict.fromkeys(r for r in bad if r):
        ledger.drop(bad == reason, reason)


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """UTF-8 text of ``data``, with Windows-1252 for bytes that are not UTF-8 (noted)."""
    notes: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError:
        pass
    text, spans = _utf8_with_fallback(data)
    n_bytes = len(spans)
    starts = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    lines = sorted(set((np.searchsorted(starts, spans) + 1).tolist()))
    shown = ", ".join(map(str, lines[:5])) + (" ..." if len(lines) > 5 else "")
    notes.append(
        f"{name}: {n_bytes} byte(s) on {len(lines)} line(s) (line {shown}) are not UTF-8 and were "
        "read as Windows-1252; the rest of the file is UTF-8"
    )
    unknown = text.count("\ufffd") - data.count("\ufffd".encode())  # cp1252 has 5 holes
    if unknown > 0:
        notes.append(
            f"{name}: {unknown} byte(s) are neither UTF-8 nor Windows-1252 and were read as '\ufffd'"
        )
    return text, notes


def _header(text: str, delimiter: str, name: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise HspworkError(
            f"{name} has no header row (its first line is blank): is it a CSV export?"
        )
    if first.count('"') % 2:
        raise HspworkError(
            f"{name}: the header row has an unclosed quote; save the file again as CSV from its source"
        )
    try:
        names = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as err:
        raise HspworkError(f"{name}: the header row is not CSV ({err})") from err
    names = [n.strip() for n in names]
    # Repeated column names get .1, .2 ... as pandas does, so no column hides another.
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}.{k}")
    return out


def _parse_csv(data: bytes, columns: list[str], delimiter: str, name: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[str] = []
    texts: list[str] = []

    def invalid(row) -> str:
        texts.append(row.text)
        if not row.text.strip():
            bad.append(BLANK_LINE)
        elif row.actual_columns < row.expected_columns:
            bad.append(SHORT_LINE)
        else:
            bad.append(LONG_LINE)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError) as err:
        raise HspworkError(
            f"{name} is not a well-formed CSV ({err}); check the delimiter and the quoting"
        ) from err
    frame = table.to_pandas()
    frame.columns = columns
    return frame, bad, texts


def _cut_in_a_quote(text: str, frame: pd.DataFrame) -> bool:
    """Whether the last row holds a value whose quote never closed (it runs to the end)."""
    if text.count('"') % 2 == 0:
        return False
    after = text[text.rfind('"') + 1 :]  # an unclosed value is everything after its quote
    return any(str(v) == after for v in frame.iloc[-1].tolist())


def read_text_table(path: str | Path) -> TableRead:
    """Read a CSV (or Parquet) file, keeping the lines that are not rows as counted reasons.

    Raises
    ------
    HspworkError
        When the file is missing, a folder, empty, has no header, or is not a table.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    if path.is_dir():
        raise HspworkError(f"{path} is a folder; give the path of one file")
    if path.stat().st_size == 0:
        raise HspworkError(f"{path} is empty (0 bytes): there is no header row to read")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several error classes for a bad file
            raise HspworkError(f"{path} could not be read as Parquet: {err}") from err
        frame.columns = [str(c).strip() for c in frame.columns]
        return TableRead(name, frame, np.full(len(frame), "", dtype=object))
    try:
        data = path.read_bytes()
    except OSError as err:
        raise HspworkError(f"{path} could not be read: {err}") from err
    text, notes = _decode(data, path.name)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    columns = _header(text, delimiter, name)
    body = text.split("\n", 1)[1] if "\n" in text else ""
    if not body.strip("\r\n"):
        # a header and nothing else
        frame, bad, texts = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns}), [], []
    else:
        frame, bad, texts = _parse_csv(text.encode("utf-8"), columns, delimiter, name)
    tail = body.rstrip("\r\n")
    # The last bad line is the file's last line when the tail ends with it as whole lines (a
    # good last line may end with the same characters, as "4,5" ends with a short line "5").
    last_bad = texts[-1].rstrip("\r\n") if texts else None
    last_was_bad = last_bad is not None and (
        tail == last_bad or tail.endswith(("\n" + last_bad, "\r" + last_bad))
    )
    if len(frame) and not last_was_bad and _cut_in_a_quote(text, frame):
        # A quote opened and never closed: the file was cut inside a quoted value, and the
        # parser took the rest of the file as that value. The last row is not what was written.
        frame = frame.iloc[:-1]
        bad = [SHORT_LINE, *bad]
        last_was_bad = True
    if body.strip() and not text.endswith(("\n", "\r")) and not last_was_bad:
        # A copy cut off inside the last field still has every field: say so, as it cannot
        # be told from a file saved without a final line break.
        notes.append(
            f"{path.name} does not end with a line break: its last line may have been cut short "
            "(it has every field and was kept; check it against the source)"
        )
    if bad:
        blank = pd.DataFrame(dict.fromkeys(columns, [""] * len(bad)), dtype=frame.dtypes.iloc[0])
        frame = pd.concat([frame, blank], ignore_index=True)
    flags = np.array([""] * (len(frame) - len(bad)) + bad, dtype=object)
    return TableRead(name, frame, flags, notes)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (or Parquet) file as text columns, tolerating the encodings forces use.

    Text is UTF-8 (with or without a byte-order mark); bytes that are not UTF-8 are read as
    Windows-1252 and noted (see the module notes). Quoted fields may hold commas and line
    breaks. Every value is kept as text (Parquet columns keep their types) so that the loaders
    can count what they cannot parse instead of guessing. Lines that are not rows (blank, cut
    short, too many fields) are left out and counted in ``attrs["load_report"]``
    (:func:`hspwork.report.report_of`).

    Raises
    ------
    HspworkError
        When the file is missing, empty (no header), or not a table.

    Examples
    --------
    >>> import tempfile, os
    >>> from hspwork.report import report_of
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w", encoding="utf-8-sig").write('a,b\\n1,"x, y"\\n   \\n2\\n')
    >>> t = read_table(p)
    >>> t.to_dict("records")
    [{'a': '1', 'b': 'x, y'}]
    >>> report_of(t).dropped
    {'blank line (only spaces)': 1, 'line with fewer fields than the header (cut short)': 1}
    """
    got = read_text_table(path)
    ledger = RowLedger(len(got.frame), got.name)
    charge_lines(got.bad, ledger)
    for n in got.notes:
        ledger.note(n)
    out = got.frame.loc[ledger.keep].reset_index(drop=True)
    attach_report(out, ledger.report())
    return out
