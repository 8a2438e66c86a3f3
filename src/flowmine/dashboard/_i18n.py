"""The page chrome in English and Simplified Chinese: page titles, controls, hints and notices.

Metric names and their formats are not here: they are the vocabulary's (:mod:`flowmine.vocabulary`,
re-exported below for the pages), so a page names a metric as the report and the CLI do.
"""

from __future__ import annotations

from typing import Final

from flowmine.vocabulary import LANGS, duration, label, number, percent

__all__ = ["LABELS", "LANGS", "duration", "label", "number", "percent", "t"]

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
    "rework_share": {"en": "Steps with rework", "zh": "有返工的环节"},
    "top_bottleneck": {"en": "Top bottleneck", "zh": "首要瓶颈"},
    "trend": {"en": "Cases started and {metric} per month", "zh": "每月新开案例与{metric}"},
    "tt_median_done": {"en": "{metric} of the cases completed", "zh": "当月完成案例的{metric}"},
    "trend_thin": {"en": "Months with fewer than {n} completed cases are left out of the line.",
                   "zh": "完成案例少于 {n} 个的月份不画入折线。"},
    "completed_cases": {"en": "completed cases", "zh": "个完成案例"},
    "date_from": {"en": "Start date", "zh": "开始日期"},
    "date_to": {"en": "End date", "zh": "结束日期"},
    "choose": {"en": "Select…", "zh": "请选择…"},
    "bn_intro": {"en": "Steps and transitions ranked by the total {what} they add across cases.",
                 "zh": "按各环节与转移在所有案例中累计造成的{what}排序。"},
    "kind": {"en": "Kind", "zh": "类型"},
    "name": {"en": "Step / transition", "zh": "环节 / 转移"},
    "ci": {"en": "95% interval", "zh": "95% 置信区间"},
    "median": {"en": "Median", "zh": "中位数"},
    "p90": {"en": "P90", "zh": "P90"},
    "activity": {"en": "Step", "zh": "环节"},
    "variant": {"en": "Variant", "zh": "变体"},
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
    "workload_share": {"en": "Share of instances", "zh": "执行占比"},
    "handovers": {"en": "Handover of work", "zh": "工作交接"},
    "cases_page": {"en": "Variants & cases", "zh": "变体与案例"},
    "case": {"en": "Case", "zh": "案例"},
    "start": {"en": "Start", "zh": "开始"},
    "end": {"en": "End", "zh": "结束"},
    "conformance": {"en": "Conformance", "zh": "合规性"},
    "no_reference": {"en": "This process has no reference model configured.", "zh": "该流程未配置参考模型。"},
    "exact": {"en": "exact (alignments)", "zh": "精确（对齐）"},
    "inexact": {"en": "approximate: some variants ran out of time", "zh": "近似：部分变体超时"},
    "skipped": {"en": "Skipped", "zh": "跳过"},
    "inserted": {"en": "Inserted", "zh": "插入"},
    "out_of_order": {"en": "Out of order", "zh": "顺序错误"},
    "rate": {"en": "Rate", "zh": "比例"},
    "rule": {"en": "Business rule", "zh": "业务规则"},
    "violating": {"en": "Violating cases", "zh": "违规案例"},
    "examples": {"en": "Examples", "zh": "示例"},
    "deviation": {"en": "Deviation", "zh": "偏差"},
    "of_deviating": {"en": "{metric}, deviating", "zh": "偏差案例的{metric}"},
    "of_conforming": {"en": "{metric}, conforming", "zh": "合规案例的{metric}"},
    "steps_dev": {"en": "Deviations per step", "zh": "各环节偏差"},
    "rules": {"en": "Business rules", "zh": "业务规则"},
    "impact": {"en": "What deviations cost", "zh": "偏差的影响"},
    "conf_scope": {"en": "Conformance of the cases that pass the filters, against the reference model and rules.",
                   "zh": "对符合筛选条件的案例，按参考模型和业务规则检查合规性。"},
    "attribute": {"en": "Attribute", "zh": "属性"},
    "slowest": {"en": "Slowest cases at a bottleneck", "zh": "瓶颈处最慢的案例"},
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



def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when a translation is missing)."""
    entry = LABELS[key]
    return entry.get(lang) or entry["en"]
