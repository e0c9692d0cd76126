"""Reading lists: targets.simple.csv and OFAC sdn.csv, their quirks, and the version recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

from arbiter.screening import PersonQuery, WatchlistFormatError, load_watchlist, screen

TARGETS = (
    "\ufeffid,schema,name,aliases,birth_date,countries,dataset,last_change,extra_column\r\n"
    'NK-1,Person,"Petrov, Ivan","Иван Петров;Ivan ""Vanya"" Petrov",1960-05-01;1961,ru;by,EU FSF;UN SC,'
    "2026-11-02T06:00:00,x\r\n"
    ",Person,Nameless id row,,,,,,\r\n"
    'NK-2,Company,"Acme, Ltd\nTrading",,,cy,EU FSF,2026-10-01,\r\n'
    "NK-3,Person,Short Row\r\n"
)

SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '2674,"ABU ALI, Hamid","individual","SDGT] [IRAQ2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 12 Jan 1960; alt. DOB 1961; POB Baghdad, Iraq; nationality Iraq."\r\n'
    "\x1a\r\n"
)
ALT = '2674,1,"aka","ABU ALI, Hamed",-0- \r\n2674,2,"aka","HAMID ALI",-0- \r\n'


def test_targets_simple_csv_is_read_with_its_quirks() -> None:
    data = TARGETS.encode("utf-8")
    watchlist = load_watchlist(data)
    assert len(watchlist) == 3  # the row without an id is skipped and counted
    assert watchlist.skipped_rows == 1
    first = watchlist.entry(0)
    assert first.names == ("Petrov, Ivan", "Иван Петров", 'Ivan "Vanya" Petrov')
    assert first.birth_dates == ("1960-05-01", "1961")
    assert first.countries == ("ru", "by")
    assert first.datasets == ("EU FSF", "UN SC")
    assert watchlist.entry(1).caption == "Acme, Ltd\nTrading"  # a line break inside quotes stays in the field
    assert watchlist.entry(2).caption == "Short Row"
    assert watchlist.version.sha256 == hashlib.sha256(data).hexdigest()
    assert watchlist.version.date == dt.date(2026, 11, 2)  # the newest last_change found
    assert watchlist.version.format == "opensanctions"


def test_the_date_given_wins_over_the_date_found() -> None:
    watchlist = load_watchlist(io.BufferedReader(io.BytesIO(TARGETS.encode())), date=dt.date(2026, 11, 20))
    assert watchlist.version.date == dt.date(2026, 11, 20)


def test_a_header_without_the_required_columns_is_refused() -> None:
    with pytest.raises(WatchlistFormatError) as error:
        load_watchlist(b"id,label\n1,x\n", format="opensanctions")
    assert error.value.path == "row 1"
    assert "name" in error.value.message


def test_an_unknown_layout_is_refused() -> None:
    with pytest.raises(WatchlistFormatError):
        load_watchlist(b"hello,world\n")


def test_ofac_sdn_with_aliases() -> None:
    sdn, alt = SDN.encode("latin-1"), ALT.encode()
    watchlist = load_watchlist(sdn, aliases=alt)
    assert watchlist.version.format == "ofac"
    assert watchlist.version.sha256 == hashlib.sha256(alt + sdn).hexdigest()
    company, person = watchlist.entry(0), watchlist.entry(1)
    assert (company.id, company.schema, company.programs) == ("ofac-36", "Organization", ("CUBA",))
    assert person.schema == "Person"
    assert person.programs == ("SDGT", "IRAQ2")
    assert person.names == ("ABU ALI, Hamid", "ABU ALI, Hamed", "HAMID ALI")
    assert person.birth_dates == ("1960-01-12", "1961")
    assert person.countries == ("iq",)
    (match,) = screen(PersonQuery(names=("Hamid Abu Ali",), birth_date="1960-01-12"), watchlist)
    assert match.entry.id == "ofac-2674"


def test_an_empty_list_file_is_refused_as_a_format_error_and_closed(tmp_path):
    empty = tmp_path / "targets.simple.csv"
    empty.write_bytes(b"")
    with pytest.raises(WatchlistFormatError, match="cannot tell the list's format"):
        load_watchlist(empty)
