"""Submissions from tables (CSV, Excel; path, bytes or file object) and from DHIS2."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from antq_core import Dataset, sample
from antq_core.errors import TabularLoadError
from antq_core.io.dhis2 import Dhis2Mapping, from_dhis2_data_value_set
from antq_core.io.tabular import export_tabular, read_submission, read_tabular

TABLE = (
    "Chỉ tiêu,Tên chỉ tiêu,Giá trị,Đơn vị tính,Phân tổ,Ghi chú\n"
    "tips_received,Tin báo,7,,,\n"
    "mediation_cases,Vụ hòa giải,khoảng 3,,,ước tính\n"
    "mass_organization_members,Thành viên,12,,sex=female,\n"
    "bogus,Sai,1,,,\n"
)


def test_csv_from_path_bytes_and_file_object(tmp_path: Path, ds: Dataset, on: Any) -> None:
    path = tmp_path / "ban-giang.csv"
    path.write_text(TABLE, encoding="utf-8")
    common = {"dataset": ds, "form": "monthly", "subject": "unit:00101", "period": "2025-05"}
    from_path = read_submission(path, **common)
    from_bytes = read_submission(TABLE.encode(), **common)
    from_file = read_submission(io.BytesIO(TABLE.encode()), **common)
    assert from_path.items == from_bytes.items == from_file.items
    items = from_path.items
    assert [i.metric for i in items] == [
        "tips_received",
        "mediation_cases",
        "mass_organization_members",
        "bogus",
    ]
    assert items[1].value == 3
    assert items[1].qualifier.value == "approximately"
    assert items[1].note == "ước tính"
    assert items[2].disaggregation == {"sex": "female"}
    assert [i.row for i in items] == [2, 3, 4, 5]
    _, summary = ds.apply(from_path, now=on(2))
    (conflict,) = summary.conflicts
    assert conflict.code == "unknown_metric"
    assert conflict.locations[0].row == 5
    assert conflict.locations[0].file == str(path)


def test_csv_problems_are_located() -> None:
    bad = "chỉ tiêu,giá trị\ntips_received,bảy\n,3\n"
    with pytest.raises(TabularLoadError) as caught:
        read_submission(bad.encode(), subject="unit:00101")
    where = sorted(str(p.location) for p in caught.value.problems)
    assert any("row 2" in w for w in where)
    assert any("row 3" in w for w in where)
    assert any("period" in p.message_en for p in caught.value.problems)


def test_one_submission_has_one_period() -> None:
    table = "kỳ báo cáo,chỉ tiêu,giá trị,đơn vị tính\n2025-05,a,1,case\n2025-06,b,2,case\n"
    with pytest.raises(TabularLoadError) as caught:
        read_submission(table.encode(), subject="unit:00101")
    (problem,) = caught.value.problems
    assert problem.location.row == 3


def test_workbook_cells_are_kept(tmp_path: Path, ds: Dataset, on: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    for row in TABLE.strip().split("\n"):
        values: list[Any] = row.split(",")
        sheet.append([int(v) if v.isdigit() else (v or None) for v in values])
    target = tmp_path / "ban-giang.xlsx"
    book.save(target)
    submission = read_submission(
        target.read_bytes(), dataset=ds, form="monthly", subject="unit:00101", period="2025-05"
    )
    assert submission.items[0].value == 7
    assert (submission.items[3].sheet, submission.items[3].cell) == ("Báo cáo", "C5")
    _, summary = ds.apply(submission, now=on(2))
    assert summary.conflicts[0].locations[0].cell == "C5"


def test_read_tabular_takes_bytes_and_file_objects(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    pytest.importorskip("defusedxml")
    target = tmp_path / "sample.xlsx"
    export_tabular(sample(), target, "xlsx")
    data = target.read_bytes()
    assert read_tabular(data) == read_tabular(target)
    assert read_tabular(io.BytesIO(data)) == read_tabular(target)
    with pytest.raises(TabularLoadError):
        read_tabular(b"not a workbook")


def test_dhis2_import_gives_the_one_summary_type() -> None:
    ds = sample()
    mapping = Dhis2Mapping.model_validate(
        {
            "data_elements": {"valuable_tips": "AAAAAAAAAAA"},
            "org_units": {"12": "BBBBBBBBBBB"},
        }
    )
    payload = {
        "dataValues": [
            {
                "dataElement": "AAAAAAAAAAA",
                "period": "2018",
                "orgUnit": "BBBBBBBBBBB",
                "value": "5",
                "storedBy": "dhis2user",
            },
            {
                "dataElement": "CCCCCCCCCCC",
                "period": "2018",
                "orgUnit": "BBBBBBBBBBB",
                "value": "1",
            },
        ]
    }
    result = from_dhis2_data_value_set(payload, mapping, ds)
    summary = result.import_summary
    assert (summary.imported, summary.ignored) == (1, 1)
    (conflict,) = summary.conflicts
    assert conflict.dhis2_code == "E7610"
    assert conflict.locations[0].path == "$.dataValues[1]"
    assert conflict.message_vi.startswith("Không tìm thấy phần tử dữ liệu")
    assert summary.to_dhis2()["importCount"] == result.summary()["importCount"]
    new = result.dataset
    assert len(new.observations) == len(ds.observations) + 1
    audit = new.observations.audit(len(new.observations) - 1)
    assert audit is not None
    assert audit.stored_by == "dhis2user"


def test_a_form_s_template_reads_back_as_a_submission(
    tmp_path: Path, ds: Dataset, on: Any
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from antq_core.io.tabular import write_template

    target = write_template(
        tmp_path / "ban-giang.xlsx", dataset=ds, form="monthly", unit="00101", period="2025-05"
    )
    book = openpyxl.load_workbook(target)
    sheet = book["Báo cáo"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # A row per metric, and one per option of the members' breakdown by sex.
    assert [r[3] for r in rows] == [
        "tips_received",
        "mediation_cases",
        "mediation_succeeded",
        "mass_organization_members",
        "mass_organization_members",
        "mass_organization_members",
    ]
    assert rows[0][4].endswith("(bắt buộc)")
    # Each breakdown is written as its Vietnamese label, which reads back to its codes.
    assert {r[6] for r in rows[4:]} == {"Giới tính: Nữ", "Giới tính: Nam"}
    assert book["Hướng dẫn"].page_setup.orientation == "landscape"
    # Nothing filled in: no figure, and the compulsory one is missing.
    empty = read_submission(target)
    assert empty.items == ()
    assert str(empty.subject) == "unit:00101"
    # The officer fills in two values, one of them as text.
    sheet["H2"] = 7
    sheet["H6"] = "khoảng 12"
    book.save(target)
    filled = read_submission(target, dataset=ds)
    assert [(i.metric, i.value, i.cell) for i in filled.items] == [
        ("tips_received", 7, "H2"),
        ("mass_organization_members", 12, "H6"),
    ]
    option = {"Giới tính: Nữ": "female", "Giới tính: Nam": "male"}[str(rows[4][6])]
    assert filled.items[1].disaggregation == {"sex": option}
    new, summary = ds.apply(filled, now=on(2))
    assert (summary.imported, summary.conflicts) == (2, ())
    assert len(new.observations) == 2


def test_a_form_s_template_needs_what_it_names(tmp_path: Path, ds: Dataset) -> None:
    pytest.importorskip("openpyxl")
    from antq_core.errors import InvalidValueError
    from antq_core.io.tabular import write_template

    with pytest.raises(InvalidValueError):
        write_template(
            tmp_path / "x.xlsx", dataset=ds, form="nope", unit="00101", period="2025-05"
        )
    with pytest.raises(InvalidValueError):
        write_template(
            tmp_path / "x.xlsx", dataset=ds, form="monthly", unit="00101", period="2025"
        )
    with pytest.raises(InvalidValueError):
        write_template(tmp_path / "x.xlsx", form="monthly", unit="00101", period="2025-05")
    assert not (tmp_path / "x.xlsx").exists()
