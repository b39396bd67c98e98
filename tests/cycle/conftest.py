"""A district of eight communes, a monthly form, and submissions for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    ReportingForm,
    Submission,
    builtin_catalog,
)

COMMUNES = {
    "00101": "Bản Giang",
    "00102": "Hồ Thầu",
    "00103": "Tả Lèng",
    "00104": "Sơn Bình",
    "00105": "Nùng Nàng",
    "00106": "Bình Lư",
    "00107": "Khun Há",
    "00108": "Giang Ma",
}
"""The communes of district 001 (Tam Đường), codes and names."""

METRICS = ("tips_received", "mediation_cases", "mediation_succeeded", "mass_organization_members")
VN = dt.timezone(dt.timedelta(hours=7))


def district() -> Gazetteer:
    units = [
        AdminUnit("01", "Lai Châu", "province", kind_vi="tỉnh"),
        AdminUnit("001", "Tam Đường", "district", parent="01", kind_vi="huyện"),
        AdminUnit("002", "Phong Thổ", "district", parent="01", kind_vi="huyện"),
        AdminUnit("00201", "Mường So", "commune", parent="002", kind_vi="xã"),
    ]
    units += [
        AdminUnit(code, name, "commune", parent="001", kind_vi="xã")
        for code, name in COMMUNES.items()
    ]
    return Gazetteer("test-district", units)


def monthly_form(**changes: Any) -> ReportingForm:
    raw: dict[str, Any] = {
        "id": "monthly",
        "name_vi": "Báo cáo tháng phong trào",
        "name_en": "Monthly movement report",
        "period_kind": "month",
        "metrics": [
            {"metric": "tips_received", "compulsory": True},
            {"metric": "mediation_cases"},
            {"metric": "mediation_succeeded"},
            {"metric": "mass_organization_members", "categories": ["sex"]},
        ],
        "assigned_level": "commune",
        "assigned_under": "001",
        "timely_days": 5,
        "expiry_days": 15,
    }
    return ReportingForm.model_validate(raw | changes)


def empty_dataset(*forms: ReportingForm) -> Dataset:
    catalog = builtin_catalog()
    return Dataset(
        gazetteer=district(),
        metadata=DatasetMetadata(title_vi="Huyện Tam Đường", province="01"),
        categories=catalog.categories,
        metrics=[catalog.metric(m) for m in METRICS],
        forms=forms or (monthly_form(),),
    )


def report(commune: str, period: str = "2025-05", **values: int) -> Submission:
    """A commune's monthly report with ``values`` by metric id."""
    return Submission.model_validate(
        {
            "form": "monthly",
            "subject": f"unit:{commune}",
            "period": period,
            "items": [{"metric": m, "value": v} for m, v in values.items()],
            "stored_by": f"officer-{commune}",
        }
    )


def on(day: int, month: int = 6, year: int = 2025) -> dt.datetime:
    """9 o'clock in Vietnam on that day."""
    return dt.datetime(year, month, day, 9, tzinfo=VN)


@pytest.fixture
def ds() -> Dataset:
    return empty_dataset()


# The helpers, as fixtures (tests are imported with --import-mode=importlib).
@pytest.fixture(name="report")
def _report() -> Any:
    return report


@pytest.fixture(name="monthly_form")
def _monthly_form() -> Any:
    return monthly_form


@pytest.fixture(name="empty_dataset")
def _empty_dataset() -> Any:
    return empty_dataset


@pytest.fixture(name="on")
def _on() -> Any:
    return on


@pytest.fixture(name="communes")
def _communes() -> dict[str, str]:
    return dict(COMMUNES)


LATE = ("00104", "00107")
"""The communes that report May 2025 late (on 9 June, after the due day)."""

SILENT = "00108"
"""The commune that never reports May 2025."""


@pytest.fixture
def may(ds: Dataset) -> Dataset:
    """May 2025: five communes report by 5 June (the due day), two on 9 June, one never."""
    current = ds
    for k, code in enumerate(COMMUNES):
        if code == SILENT:
            continue
        day = 9 if code in LATE else 1 + k % 5
        current, summary = current.apply(
            report(code, tips_received=k + 1, mediation_cases=k), now=on(day)
        )
        assert summary.imported == 2
    return current
