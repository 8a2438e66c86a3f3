"""A process definition's [calendar]: official calendars (China's, a country's), own closed days and make-up
workdays, and one-line problems naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmine.analytics import business_duration
from flowmine.errors import InputError
from flowmine.processes import load_process
from flowmine.processes._config import read_definition

HEAD = """\
[process]
name = "permits"
label_en = "Building permits"
label_zh = "建筑许可"
reference_model = "model.bpmn"

[activities]
"Apply" = { zh = "申请" }

"""


def definition(tmp_path: Path, calendar: str) -> Path:
    folder = tmp_path / "permits"
    folder.mkdir(exist_ok=True)
    (folder / "model.bpmn").write_text("<definitions/>", encoding="utf-8")
    path = folder / "process.toml"
    path.write_text(HEAD + "[calendar]\n" + calendar, encoding="utf-8")
    return path


def us(text: str, tz: str) -> int:
    return pd.Timestamp(text, tz=tz).value // 1000


def test_official_cn_with_own_days(tmp_path: Path) -> None:
    path = definition(tmp_path, 'hours = ["09:00", "18:00"]\ntimezone = "Asia/Shanghai"\nofficial = "CN"\n'
                                'holidays = ["2025-02-07"]\nworkdays = ["2025-02-09"]\n')
    cal = load_process(path).working_calendar()
    assert (cal.timezone, cal.utc_offset_h) == ("Asia/Shanghai", 0.0)
    # Fri 24 Jan 17:00 → Mon 10 Feb 10:00: 56 h of the official calendar (tests/test_calendar_official.py),
    # minus the own closed Fri 7 Feb, plus the own workday Sun 9 Feb
    got = business_duration([us("2025-01-24 17:00", "Asia/Shanghai")], [us("2025-02-10 10:00", "Asia/Shanghai")], cal)
    assert got[0] == 56 * 3600.0


def test_official_country_with_years(tmp_path: Path) -> None:
    path = definition(tmp_path, 'timezone = "Europe/London"\nofficial = "GB"\nyears = [2025, 2025]\n')
    cal = load_process(path).working_calendar()
    # GB 2025: Christmas Thu 25 Dec, Boxing Day Fri 26 Dec; Wed 24 Dec 16:00 → Mon 29 Dec 10:00 = 1 h + 1 h
    got = business_duration([us("2025-12-24 16:00", "UTC")], [us("2025-12-29 10:00", "UTC")], cal)
    assert got[0] == 2 * 3600.0
    assert {d.year for d in cal.holidays} == {2025}


@pytest.mark.parametrize(("calendar", "message"), [
    ('official = "XX"\n', "[calendar] official: 'CN' or a country code of the holidays package, in years it "
                          "knows, got 'XX' ('XX' is not a country code"),
    ('official = "CN"\nyears = [1990, 1991]\n', "[calendar] official: 'CN' or a country code of the holidays "
                                                 "package, in years it knows, got 'CN' (chinesecalendar knows"),
    ('holidays = ["2025-13-01"]\n', "[calendar] holidays: a list of ISO dates, e.g. [\"2025-10-08\"], got "
                                     "['2025-13-01']"),
    ('workdays = "2025-02-08"\n', "[calendar] workdays: a list of ISO dates"),
    ('years = [2026, 2024]\n', "[calendar] years: [first, last] years"),
    ('timezone = "Asia/Beijing"\n', "[calendar] timezone: an IANA time zone"),
    ('weekdays = ["Mon", "Sunday"]\n', "[calendar] weekdays: a list of"),
    ('hours = ["9am", "18:00"]\n', "[calendar] hours: two times of day"),
    ('holiday = ["2025-10-01"]\n', "[calendar] holiday: a key of"),
    ('hours = ["18:00", "09:00"]\n', "[calendar]: a working calendar, got end '09:00' must be after start"),
])
def test_calendar_problems_name_file_and_key(tmp_path: Path, calendar: str, message: str) -> None:
    path = definition(tmp_path, calendar)
    cfg, problems = read_definition(path)
    assert cfg is None
    assert len(problems) == 1
    line = problems[0].line
    assert "\n" not in line
    assert line.startswith(f"{path}: {message}")
    with pytest.raises(InputError, match="calendar"):
        load_process(path)


def test_time_limit_rules_count_official_working_days() -> None:
    from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
    from flowmine.processes import Rule, check_rules

    # c1: Submit Fri 24 Jan 2025, Pay Mon 10 Feb (local): 11 weekdays later, but with the Spring Festival
    # (6 closed weekdays) and its two make-up days (Sun 26 Jan, Sat 8 Feb) 11 - 6 + 2 = 7 working days
    log = pd.DataFrame({
        CASE: ["c1", "c1"], ACTIVITY: ["Submit", "Pay"],
        TIMESTAMP: pd.to_datetime(["2025-01-24 10:00", "2025-02-10 10:00"]).tz_localize("Asia/Shanghai"),
    })
    rule = Rule(id="pay_7wd", kind="time_limit", label_en="", label_zh="",
                params={"from": "Submit", "to": "Pay", "max": "7wd"})
    strict = Rule(id="pay_6wd", kind="time_limit", label_en="", label_zh="",
                  params={"from": "Submit", "to": "Pay", "max": "6wd"})
    plain = {"timezone": "Asia/Shanghai"}
    official = {"timezone": "Asia/Shanghai", "official": "CN"}
    assert check_rules(log, [rule, strict], calendar=plain) == {"pay_7wd": ["c1"], "pay_6wd": ["c1"]}
    assert check_rules(log, [rule, strict], calendar=official) == {"pay_7wd": [], "pay_6wd": ["c1"]}


def test_flowmine_processes_names_a_calendar_problem(tmp_path: Path) -> None:
    import json

    from tests.conftest import run_cli

    path = definition(tmp_path, 'official = "CN"\nworkdays = ["2025-02-31"]\n')
    done = run_cli("processes", "--json", env={"FLOWMINE_PROCESSES": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    problems = json.loads(done.stdout)["problems"]
    assert problems == [{"file": str(path), "entry": "[calendar] workdays",
                         "expected": 'a list of ISO dates, e.g. ["2025-10-08"]', "got": "['2025-02-31']"}]
