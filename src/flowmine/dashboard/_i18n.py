"""Labels in English and Simplified Chinese, and human formats for durations and numbers."""

from __future__ import annotations

import math
from typing import Final

LANGS: Final = ("en", "zh")

LABELS: Final[dict[str, dict[str, str]]] = {
    "title": {"en": "flowmine", "zh": "flowmine 流程分析"},
    "overview": {"en": "Overview", "zh": "总览"},
    "bottlenecks": {"en": "Bottlenecks", "zh": "瓶颈"},
    "steps": {"en": "Cost & quality per step", "zh": "各环节成本与质量"},
    "variants": {"en": "Variants", "zh": "流程变体"},
    "data": {"en": "Data", "zh": "数据"},
    "process": {"en": "Process", "zh": "流程"},
    "period": {"en": "Cases started between", "zh": "案例开始时间"},
    "language": {"en": "Language", "zh": "语言"},
    "cases": {"en": "Cases", "zh": "案例数"},
    "events": {"en": "Events", "zh": "事件数"},
    "variants_n": {"en": "Variants", "zh": "变体数"},
    "tt_median": {"en": "Median throughput time", "zh": "中位处理周期"},
    "tt_p90": {"en": "P90 throughput time", "zh": "P90 处理周期"},
    "cost_case": {"en": "Cost per case", "zh": "单案例成本"},
    "rework_share": {"en": "Steps with rework", "zh": "有返工的环节"},
    "top_bottleneck": {"en": "Top bottleneck", "zh": "首要瓶颈"},
    "trend": {"en": "Cases started and median throughput time per month", "zh": "每月新开案例与中位处理周期"},
    "tt_median_done": {"en": "Median throughput time of the cases completed", "zh": "当月完成案例的中位处理周期"},
    "trend_thin": {"en": "Months with fewer than {n} completed cases are left out of the line.",
                   "zh": "完成案例少于 {n} 个的月份不画入折线。"},
    "completed_cases": {"en": "completed cases", "zh": "个完成案例"},
    "date_from": {"en": "Start date", "zh": "开始日期"},
    "date_to": {"en": "End date", "zh": "结束日期"},
    "choose": {"en": "Select…", "zh": "请选择…"},
    "bn_intro": {"en": "Steps and transitions ranked by the total waiting they add across cases.",
                 "zh": "按各环节与转移在所有案例中累计造成的等待时间排序。"},
    "kind": {"en": "Kind", "zh": "类型"},
    "name": {"en": "Step / transition", "zh": "环节 / 转移"},
    "waiting_total": {"en": "Total waiting", "zh": "累计等待"},
    "share": {"en": "Share of throughput time", "zh": "占处理周期比例"},
    "ci": {"en": "95% interval", "zh": "95% 置信区间"},
    "median": {"en": "Median", "zh": "中位数"},
    "p90": {"en": "P90", "zh": "P90"},
    "activity": {"en": "Step", "zh": "环节"},
    "count": {"en": "Executions", "zh": "执行次数"},
    "service_median": {"en": "Median service time", "zh": "中位作业时间"},
    "waiting_median": {"en": "Median waiting time", "zh": "中位等待时间"},
    "sojourn_median": {"en": "Median sojourn time", "zh": "中位逗留时间"},
    "cost_total": {"en": "Cost", "zh": "成本"},
    "rework_rate": {"en": "Rework rate", "zh": "返工率"},
    "variant": {"en": "Variant", "zh": "变体"},
    "variant_share": {"en": "Share of cases", "zh": "案例占比"},
    "sources": {"en": "Ingested sources", "zh": "已导入数据源"},
    "quarantine": {"en": "Quarantine (rows not loaded)", "zh": "隔离区（未导入的行）"},
    "no_quarantine": {"en": "No rows were quarantined.", "zh": "没有被隔离的行。"},
    "rows_read": {"en": "Rows read", "zh": "读取行数"},
    "rows_loaded": {"en": "Events loaded", "zh": "导入事件"},
    "rows_quarantined": {"en": "Rows quarantined", "zh": "隔离行数"},
    "duplicate_events": {"en": "Exact duplicate events", "zh": "完全重复事件"},
    "refused": {"en": "A value in the address was not offered and was ignored", "zh": "地址中的参数无效，已忽略"},
    "definition_problem": {"en": "A process definition cannot be used", "zh": "流程定义有误，未能使用"},
    "no_data": {"en": "No cases match these filters.", "zh": "没有符合筛选条件的案例。"},
    "activity_kind": {"en": "step", "zh": "环节"},
    "edge_kind": {"en": "transition", "zh": "转移"},
    "resources": {"en": "Resources", "zh": "资源"},
    "resource": {"en": "Resource", "zh": "执行人"},
    "service_total": {"en": "Total service time", "zh": "累计作业时间"},
    "workload_share": {"en": "Share of instances", "zh": "执行占比"},
    "handovers": {"en": "Handover of work", "zh": "工作交接"},
    "cases_page": {"en": "Variants & cases", "zh": "变体与案例"},
    "case": {"en": "Case", "zh": "案例"},
    "throughput": {"en": "Throughput time", "zh": "处理周期"},
    "start": {"en": "Start", "zh": "开始"},
    "end": {"en": "End", "zh": "结束"},
    "conformance": {"en": "Conformance", "zh": "合规性"},
    "no_reference": {"en": "This process has no reference model configured.", "zh": "该流程未配置参考模型。"},
    "fitness": {"en": "Fitness", "zh": "拟合度"},
    "exact": {"en": "exact (alignments)", "zh": "精确（对齐）"},
    "inexact": {"en": "approximate: some variants ran out of time", "zh": "近似：部分变体超时"},
    "fitting_share": {"en": "Cases that fit the model", "zh": "符合模型的案例"},
    "precision": {"en": "Precision", "zh": "精确度"},
    "skipped": {"en": "Skipped", "zh": "跳过"},
    "inserted": {"en": "Inserted", "zh": "插入"},
    "out_of_order": {"en": "Out of order", "zh": "顺序错误"},
    "rate": {"en": "Rate", "zh": "比例"},
    "rule": {"en": "Business rule", "zh": "业务规则"},
    "violating": {"en": "Violating cases", "zh": "违规案例"},
    "examples": {"en": "Examples", "zh": "示例"},
    "deviation": {"en": "Deviation", "zh": "偏差"},
    "tt_deviating": {"en": "Median throughput time, deviating", "zh": "偏差案例中位周期"},
    "tt_conforming": {"en": "Median throughput time, conforming", "zh": "合规案例中位周期"},
    "steps_dev": {"en": "Deviations per step", "zh": "各环节偏差"},
    "rules": {"en": "Business rules", "zh": "业务规则"},
    "impact": {"en": "What deviations cost", "zh": "偏差的影响"},
    "conf_scope": {"en": "Conformance of the cases that pass the filters, against the reference model and rules.",
                   "zh": "对符合筛选条件的案例，按参考模型和业务规则检查合规性。"},
    "attribute": {"en": "Attribute", "zh": "属性"},
    "cost": {"en": "Cost", "zh": "成本"},
    "fpy": {"en": "First-pass yield", "zh": "一次通过率"},
    "arrivals": {"en": "Cases started", "zh": "新开案例"},
    "slowest": {"en": "Slowest cases at a bottleneck", "zh": "瓶颈处最慢的案例"},
    "violation_rate": {"en": "Cases breaking a rule", "zh": "违反规则的案例占比"},
    "map_hint": {"en": "Click a step to see its detail. The top bottlenecks are outlined in red.",
                 "zh": "点击环节查看详情。主要瓶颈以红色标出。"},
    "values": {"en": "Values", "zh": "取值"},
    "variant_filter": {"en": "Variant", "zh": "变体"},
    "fit_filter": {"en": "Conformance", "zh": "合规"},
    "fit_all": {"en": "All cases", "zh": "全部案例"},
    "fit_yes": {"en": "Conforming", "zh": "合规"},
    "fit_no": {"en": "Deviating", "zh": "有偏差"},
    "any": {"en": "(any)", "zh": "（不限）"},
    "rules_broken": {"en": "Business rules broken", "zh": "被违反的业务规则"},
    "map": {"en": "Process map", "zh": "流程图"},
    "activities_slider": {"en": "Activities shown", "zh": "显示的环节"},
    "paths_slider": {"en": "Paths shown", "zh": "显示的路径"},
    "frequency": {"en": "Frequency", "zh": "频次"},
    "performance": {"en": "Performance (mean time)", "zh": "时效（平均时间）"},
    "improvement": {"en": "Improvement", "zh": "持续改进"},
    "target": {"en": "target", "zh": "目标"},
    "no_store": {"en": "The store holds no process yet: run flowmine ingest.",
                 "zh": "存储中还没有流程：请先运行 flowmine ingest。"},
}

_UNITS: Final = {"en": ("s", "min", "h", "d"), "zh": ("秒", "分钟", "小时", "天")}


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when a translation is missing)."""
    entry = LABELS[key]
    return entry.get(lang) or entry["en"]


def duration(seconds: float | None, lang: str = "en") -> str:
    """A duration for humans: 45 s, 12 min, 5.5 h, 3.2 d."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s_, m_, h_, d_ = _UNITS.get(lang, _UNITS["en"])
    sep = "" if lang == "zh" else " "
    a = abs(seconds)
    if a < 60:
        return f"{seconds:.0f}{sep}{s_}"
    if a < 3600:
        return f"{seconds / 60:.0f}{sep}{m_}"
    if a < 86400:
        return f"{seconds / 3600:.1f}{sep}{h_}"
    return f"{seconds / 86400:.1f}{sep}{d_}"


def number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"
