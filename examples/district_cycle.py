"""One month of a district's reporting cycle: forms, submissions, summaries, completeness.

Huyện Tam Đường (Lai Châu, the bundled 2017 map) asks its 13 communes for a
monthly report. This script runs July 2017:

1. the district sets up the monthly form (tips received compulsory; mediation
   cases and successes) with a due date of the 5th and entry closed after the 15th;
2. three communes fill in the table and send it as CSV: Bản Giang on time,
   Hồ Thầu on time but with a mistake (a metric code typed wrong), Tả Lèng
   late, on 9 August;
3. the district checks each submission against what is stored
   (``check_submission``), applies it (``Dataset.apply``) and prints the import
   summary, each conflict located at its row of the file;
4. Hồ Thầu corrects its report; a report sent after the 15th is refused;
5. completeness: who reported, who on time, and the ten communes that did not;
6. the district roll-up with ``aggregate(..., reporting=form)``: each total
   beside the share of communes it comes from.

It checks each claim as it prints it. Run it with
``.venv/bin/python examples/district_cycle.py`` after ``make install-dev``.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from antq_core import (
    Period,
    Quantity,
    ReportingForm,
    aggregate,
    check_submission,
    completeness,
    sample,
)
from antq_core.io.tabular import read_submission
from antq_core.text import format_quantity

VN = dt.timezone(dt.timedelta(hours=7))
DISTRICT = "106"  # huyện Tam Đường

# The sample's figures are as of 13 July 2017; this month's reports run to the end of August.
base = sample()
base = base.replace(metadata=base.metadata.evolve(report_date=dt.date(2017, 8, 31)))
form = ReportingForm.model_validate(
    {
        "id": "monthly-106",
        "name_vi": "Báo cáo tháng phong trào toàn dân bảo vệ ANTQ",
        "name_en": "Monthly report of the movement",
        "period_kind": "month",
        "metrics": [
            {"metric": "valuable_tips", "compulsory": True},
            {"metric": "cases_resolved_jointly"},
            {"metric": "outreach_meetings"},
        ],
        "assigned_level": "commune",
        "assigned_under": DISTRICT,
        "timely_days": 5,
        "expiry_days": 15,
    }
)
ds = base.replace(forms=[form])
communes = {u.name: u.code for u in ds.gazetteer.children(DISTRICT)}
print(f"== Biểu mẫu {form.id}: {len(communes)} xã phải báo cáo, hạn ngày 05, khóa sau ngày 15")

# What three communes typed into the form's table (CSV, as a spreadsheet saves it).
FILES = {
    "Bản Giang": (
        "Chỉ tiêu,Tên chỉ tiêu,Giá trị\n"
        "valuable_tips,Tin có giá trị,4\n"
        "cases_resolved_jointly,Vụ việc phối hợp giải quyết,2\n"
        "outreach_meetings,Buổi tuyên truyền,3\n",
        dt.datetime(2017, 8, 2, 16, tzinfo=VN),
    ),
    "Hồ Thầu": (
        "Chỉ tiêu,Tên chỉ tiêu,Giá trị\n"
        "valuable_tips,Tin có giá trị,1\n"
        "tips_recieved,Tin báo (gõ sai mã),6\n"
        "outreach_meetings,Buổi tuyên truyền,khoảng 2\n",
        dt.datetime(2017, 8, 4, 10, tzinfo=VN),
    ),
    "Tả Lèng": (
        "Chỉ tiêu,Tên chỉ tiêu,Giá trị\nvaluable_tips,Tin có giá trị,0\n",
        dt.datetime(2017, 8, 9, 8, tzinfo=VN),
    ),
}

for name, (table, sent) in FILES.items():
    submission = read_submission(
        table.encode(),
        dataset=ds,
        form=form.id,
        subject=f"unit:{communes[name]}",
        period="2017-07",
        stored_by=f"ca-xa-{communes[name]}",
    ).evolve(file=f"{name}-2017-07.csv")
    check = check_submission(ds, submission, now=sent)
    ds, summary = ds.apply(submission, now=sent)
    print(f"\n-- Xã {name}, gửi {sent:%d/%m/%Y %H:%M}")
    print(summary.describe("vi"))
    for issue in check.introduced:
        print(f"   kiểm tra: {issue.message('vi')} — {issue.where}")
    if name == "Hồ Thầu":
        (conflict,) = summary.conflicts
        assert conflict.code == "unknown_metric"
        assert conflict.locations[0].row == 3  # the third line of the file
        assert summary.imported == 2
    else:
        assert summary.conflicts == ()

# Hồ Thầu corrects the code and sends again: one figure more, nothing else changes.
fixed = read_submission(
    FILES["Hồ Thầu"][0]
    .replace("tips_recieved,Tin báo (gõ sai mã)", "cases_resolved_jointly,Vụ")
    .encode(),
    dataset=ds,
    form=form.id,
    subject=f"unit:{communes['Hồ Thầu']}",
    period="2017-07",
)
ds, summary = ds.apply(fixed, now=dt.datetime(2017, 8, 4, 15, tzinfo=VN))
print("\n-- Xã Hồ Thầu gửi lại:", summary.describe("vi").splitlines()[0])
assert (summary.imported, summary.ignored) == (1, 2)

# After the 15th the month is closed.
late = fixed.evolve(subject=f"unit:{communes['Sơn Bình']}")
same, summary = ds.apply(late, now=dt.datetime(2017, 8, 16, 9, tzinfo=VN))
print("\n-- Xã Sơn Bình, ngày 16/08:", summary.conflicts[0].message("vi"))
assert same is ds
assert summary.aborted

print()
result = completeness(ds, form=form.id, period="2017-07", parent=DISTRICT)
print(result.describe("vi"))
assert (result.expected, result.actual, result.on_time) == (13, 3, 2)
assert len(result.silent) == 10

print("\n== Tổng hợp huyện Tam Đường, tháng 7/2017, với tỷ lệ báo cáo của các xã")
july = aggregate(
    ds,
    [m.metric for m in form.metrics],
    by=["district"],
    periods=Period.parse("2017-07"),
    reporting=form.id,
)
for row in july:
    rate = row.reporting
    assert rate is not None
    if row.quantity is not None:
        print(
            f"{row.metric:28} {format_quantity(row.quantity)} ({row.observations} xã;"
            f" {rate.actual}/{rate.expected} xã đã báo cáo, {rate.on_time} đúng hạn)"
        )
tips = next(r for r in july if r.metric == "valuable_tips")
assert tips.quantity == Quantity(5, "tip")
# The roll-up's rate is completeness's, counted by the same rule.
assert tips.reporting is not None
assert (tips.reporting.expected, tips.reporting.actual, tips.reporting.on_time) == (13, 3, 2)
assert tips.reporting.rate == result.rate == Fraction(3, 13)
