"""The report's own words (English and Simplified Chinese), its number formats and its stylesheet.

Metric names are the vocabulary's (:func:`flowmine.vocabulary.label`), and so are the formatters
(``fmt_duration`` and ``fmt_share`` are :func:`~flowmine.vocabulary.duration_in` and
:func:`~flowmine.vocabulary.percent` with the report's "n/a" for a missing value).
"""

from __future__ import annotations

from flowmine.monitor import STEP_LABELS
from flowmine.vocabulary import duration_in, percent

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:2px solid #1f77b4;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left}th{background:#f3f6fa}
.meta{color:#555}.verdict{color:#1f77b4}
@media print{.js-plotly-plot{page-break-inside:avoid}}
"""

_EN = {
    "title": "Process report", "generated": "Generated",
    "all_cases": "Covers every case of the process.",
    "business_time": ("Bottleneck and step times are business time (step cards and KPIs keep their own "
                      "definitions). Calendar: {calendar}"),
    "filtered_cases": "Covers the cases that pass the dashboard's filters (KPIs and initiatives: every case)",
    "cases": "cases", "events": "events",
    "variants": "variants",
    "kpis": "KPIs against targets", "kpis_note": "Latest complete period; control limits from the first "
    "periods (baseline). A signal is a run-rule hit (WE1–WE4, TREND) at that period.",
    "kpi": "KPI", "period": "Period", "value": "Value", "target": "Target", "status": "Status", "signals": "Signals",
    "status_ok": "on target, in control", "status_off_target": "off target",
    "status_out_of_control": "out of control", "status_no_data": "no data",
    "bottlenecks": "Top bottlenecks", "bottlenecks_note": "Ranked by the total {basis} they add "
    "(as flowmine perf); 95% bootstrap interval of the total. Steps and edges are two separate lists: a "
    "step's share is of all {basis} at steps, an edge's of all time on edges (a step's {basis} and its "
    "incoming edge are much the same time, so they are never shared together).",
    "share_of_list": "Share of its list",
    "step_or_edge": "Step / edge", "ci": "95% CI",
    "conformance": "Conformance and deviation impact", "rule": "Business rule", "violating": "Cases breaking it",
    "rate": "Rate", "impact": "Impact of deviations (against conforming cases)", "deviation": "Deviation",
    "diff": "{metric} difference", "per_step": "Cost and quality per step", "step": "Step",
    "initiatives": "Improvement initiatives", "no_initiatives": "No initiative for this process.",
    "owner": "Owner", "change_date": "Change date", "before": "Before", "after": "After", "effect": "Effect",
    "verdict_achieved": "Achieved", "verdict_not_achieved": "Not achieved", "verdict_inconclusive": "Inconclusive",
    "cycle_step": "Step of the cycle", "record": "Record",
    "key_steps": "Key steps: the step card", "key_steps_note": "The top step bottlenecks, each in the six "
    "elements (flowmine card). Influencing factors: effect = median with / median of the rest, 95% bootstrap "
    "interval, Benjamini-Hochberg q ≤ 0.05; excess = what the group adds above the rest's mean.",
    "element": "Element", "el_inputs": "Input", "el_processing": "Processing", "el_outputs": "Output",
    "el_controls": "Control", "el_participants": "Participants", "el_environment": "Environment",
    "el_annotations": "Annotations", "median": "median", "excess": "excess", "no_factors": "no factor passes the test",
    "change_point": "change point", "deviating_here": "cases deviating here",
    "part_off_calendar": "outside working hours", "part_batching": "waiting for the batch",
    "part_resource_busy": "resource busy", "part_other": "other",
}
_ZH = {
    "title": "流程报告", "generated": "生成时间",
    "all_cases": "涵盖该流程的全部案例。",
    "business_time": "瓶颈与各环节时间为工作时间（环节卡片与 KPI 按各自定义）。日历：{calendar}",
    "filtered_cases": "涵盖通过仪表盘筛选条件的案例（KPI 与改进措施：全部案例）",
    "cases": "个案例", "events": "个事件", "variants": "个变体",
    "kpis": "KPI 与目标",
    "kpis_note": "最近一个完整周期；控制限来自最初的基线周期。信号指该周期触发的判异规则（WE1–WE4、TREND）。",
    "kpi": "KPI", "period": "周期", "value": "数值", "target": "目标", "status": "状态", "signals": "信号",
    "status_ok": "达标且受控", "status_off_target": "未达标", "status_out_of_control": "失控",
    "status_no_data": "无数据",
    "bottlenecks": "主要瓶颈",
    "bottlenecks_note": "按增加的{basis}总量排序（与 flowmine perf 相同）；总量的95%自助法置信区间。"
    "环节与连接分两个列表：环节的占比是占全部环节{basis}的比例，连接的占比是占全部连接时间的比例"
    "（环节的{basis}与其前一连接几乎是同一段时间，因此不合并计算占比）。",
    "share_of_list": "占本列表比例",
    "step_or_edge": "环节 / 连接", "ci": "95% 置信区间",
    "conformance": "合规性与偏差影响", "rule": "业务规则", "violating": "违反的案例数", "rate": "比例",
    "impact": "偏差的影响（与合规案例相比）", "deviation": "偏差", "diff": "{metric}之差",
    "per_step": "各环节成本与质量", "step": "环节",
    "initiatives": "改进项目", "no_initiatives": "该流程暂无改进项目。", "owner": "负责人", "change_date": "变更日期",
    "before": "改进前", "after": "改进后", "effect": "效果", "verdict_achieved": "已达成",
    "verdict_not_achieved": "未达成", "verdict_inconclusive": "尚无定论", "cycle_step": "改进循环步骤",
    "record": "记录",
    "key_steps": "关键环节：环节卡片", "key_steps_note": "主要环节瓶颈，按六要素描述（flowmine card）。"
    "影响因素：效应 = 含该值的中位数 / 其余的中位数，95% 自助法置信区间，Benjamini-Hochberg q ≤ 0.05；"
    "超额 = 该组高出其余均值的部分。",
    "element": "要素", "el_inputs": "输入", "el_processing": "处理", "el_outputs": "输出", "el_controls": "控制",
    "el_participants": "参与者", "el_environment": "环境", "el_annotations": "注释", "median": "中位数",
    "excess": "超额", "no_factors": "没有通过检验的因素", "change_point": "变化点", "deviating_here": "在此偏离的案例",
    "part_off_calendar": "非工作时间", "part_batching": "等待批量", "part_resource_busy": "资源忙",
    "part_other": "其他",
}
for _key, (_en, _zh) in STEP_LABELS.items():
    _EN["cycle_" + _key], _ZH["cycle_" + _key] = _en, _zh
T: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def fmt_duration(seconds: float | None, unit: str = "d") -> str:
    """Seconds as days (``"1.11 d"``) or hours (``"83,803.4 h"``), the way the report prints them."""
    return duration_in(seconds, unit, missing="n/a")


def fmt_share(value: float | None) -> str:
    """A share as a percentage with one decimal."""
    return percent(value, missing="n/a")
