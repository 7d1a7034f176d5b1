"""The CSV import's up-front check of every row (line numbers as a spreadsheet shows them)."""

from __future__ import annotations

from greenroom.admin_area.imports import parse


def test_good_file_gives_rows_with_normalised_fields() -> None:
    parsed = parse(
        b"\xef\xbb\xbfpartner_id,email,first_name,last_name\r\n"
        b"abc123def,Ada@XYZ.example.com,Ada,Lovelace\r\n"
        b"def456,,,\r\n"
    )
    assert parsed.errors == []
    assert parsed.rows == [
        {"line": 2, "partner_id": "abc123def",
         "fields": {"email": "Ada@xyz.example.com", "first_name": "Ada", "last_name": "Lovelace"}},
        {"line": 3, "partner_id": "def456", "fields": {}},
    ]  # fmt: skip


def test_every_bad_row_is_reported_with_its_line() -> None:
    parsed = parse(
        b"partner_id,email\n"
        b"ok1,ok1@xyz.example.com\n"
        b"bad id,x@xyz.example.com\n"
        b"ok2,not-an-email\n"
        b'"multi\nline",a@xyz.example.com\n'
        b"ok1,dup@xyz.example.com\n"
        b"ok3,a@xyz.example.com,extra\n"
        b"anonymous,\n"
    )
    lines = [(e["line"], e["message"].split(" ")[0]) for e in parsed.errors]
    assert lines == [
        (3, "partner_id"), (4, "Invalid"), (6, "partner_id"), (7, "partner_id"), (8, "This"),
        (9, "partner_id"),
    ]  # fmt: skip
    assert "repeats line 2" in parsed.errors[3]["message"]


def test_header_problems() -> None:
    assert parse(b"email\nx@y.z\n").errors[0]["line"] == 1
    assert "Unknown columns: role" in parse(b"partner_id,role\na,b\n").errors[0]["message"]
    assert parse(b"partner_id\n").errors[0]["message"] == "The file has no rows."
    assert parse(b"\xff\xfe").errors[0]["message"] == "The file is not UTF-8 text."
