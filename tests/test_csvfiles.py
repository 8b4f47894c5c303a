"""CSV cells a spreadsheet would run as formulas are written as text, numbers as numbers."""
import io

import pytest

from booking import csvfiles


@pytest.mark.parametrize("value, written", [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=x", "'\r=x"), ("-12.50", "-12.50"), ("+3", "+3"), ("-25,5", "-25,5"), ("12 %", "12 %"),
    ("Hall", "Hall"), ("", ""), (-3, -3), (None, None)])
def test_safe_cell(value, written):
    assert csvfiles.safe_cell(value) == written
    if isinstance(value, str):
        assert csvfiles.unguard(csvfiles.safe_cell(value)) == value


def test_writers_guard_every_text_cell():
    out = io.StringIO()
    csvfiles.writer(out, lineterminator="\n").writerows([["=A1", 5, "-1"], ["ok", "@x", None]])
    assert out.getvalue() == "'=A1,5,-1\nok,'@x,\n"
    out = io.StringIO()
    w = csvfiles.dict_writer(out, ["name", "n"], lineterminator="\n")
    w.writeheader()
    w.writerow({"name": "+HYPERLINK()", "n": 1})
    assert out.getvalue() == "name,n\n'+HYPERLINK(),1\n"
