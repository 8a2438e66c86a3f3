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
    # tables
    "xlsx_export": {"en": "Excel (.xlsx)", "zh": "导出 Excel（.xlsx）"},
    "csv_export": {"en": "CSV", "zh": "导出 CSV"},
    "month_utc": {"en": "Month (UTC)", "zh": "月份（UTC）"},
    "bn_lists": {"en": "Steps and transitions are two separate lists: a step's share is of all {what} at steps, "
                       "a transition's share of all time on transitions. The {what} before a step and the "
                       "transition into it are much the same time, so they are never added up or shared together; "
                       "each list's shares add up to at most 100 %.",
                 "zh": "环节与转移分为两个列表：环节的占比是占全部环节{what}的比例，"
                       "转移的占比是占全部转移时间的比例。"
                       "环节前的{what}与进入该环节的转移几乎是同一段时间，因此二者从不相加、也不合并计算占比；"
                       "每个列表的占比之和不超过 100%。"},
    "bn_steps": {"en": "Steps", "zh": "环节"},
    "bn_edges": {"en": "Transitions", "zh": "转移"},
    "bn_edge": {"en": "Transition", "zh": "转移"},
    "bn_edge_total": {"en": "Total transition time", "zh": "累计转移时间"},
    "bn_edge_median": {"en": "Median transition time", "zh": "转移时间中位数"},
    "bn_edge_mean": {"en": "Mean transition time", "zh": "平均转移时间"},
    "bn_edge_p90": {"en": "P90 transition time", "zh": "转移时间 P90"},
    "bn_share": {"en": "Share of its list", "zh": "占本列表比例"},
    "bn_passes": {"en": "Passes", "zh": "经过次数"},
    "bn_ci_low": {"en": "95% interval: low", "zh": "95% 置信区间下限"},
    "bn_ci_high": {"en": "95% interval: high", "zh": "95% 置信区间上限"},
    "kpi_met": {"en": "✓ target met", "zh": "✓ 已达标"},
    "kpi_missed": {"en": "✗ target missed", "zh": "✗ 未达标"},
    "kpi_none": {"en": "– no target", "zh": "– 无目标"},
    "kpi_prev": {"en": "{delta} vs {start} – {end}", "zh": "较 {start} 至 {end}：{delta}"},
    "kpi_prev_none": {"en": "no cases in {start} – {end} to compare", "zh": "{start} 至 {end} 无案例可比较"},
    "kpi_prev_hint": {"en": "Choose a start and an end date to compare with the period of the same length before.",
                      "zh": "选择开始和结束日期，即可与之前等长的周期比较。"},
    "pp": {"en": "pp", "zh": "个百分点"},
    "utc_note": {"en": "Times are UTC.", "zh": "时间为 UTC（协调世界时）。"},
    "data_format": {"en": "Format", "zh": "格式"},
    "data_at": {"en": "Ingested at (UTC)", "zh": "导入时间（UTC）"},
    "data_sha": {"en": "SHA-256 (first 12)", "zh": "SHA-256（前 12 位）"},
    "rows_merged": {"en": "Rows merged", "zh": "合并的行"},
    "rows_already": {"en": "Rows already stored", "zh": "已存储的行"},
    "open_instances": {"en": "Open instances", "zh": "未完成的实例"},
    "data_explain_read": {"en": "Rows read: every row of the source file.", "zh": "读取行数：源文件的全部行。"},
    "data_explain_loaded": {"en": "Events loaded: the activity instances stored, one per execution of a step.",
                            "zh": "导入事件：存储的活动实例，每次环节执行一条。"},
    "data_explain_merged": {"en": "Rows merged: lifecycle rows (schedule, start, suspend/resume) folded into the "
                                  "instance they belong to; they are in the instance, not lost.",
                            "zh": "合并的行：生命周期行（计划、开始、暂停/恢复）并入其所属的活动实例，"
                                  "数据保留在实例中，并未丢失。"},
    "data_explain_already": {"en": "Rows already stored: events the store held from an earlier extract.",
                             "zh": "已存储的行：存储中已有的、来自早先导出的事件。"},
    "data_explain_quarantined": {"en": "Rows quarantined: rows that could not be loaded, listed below with the "
                                       "reason. Read = loaded + merged + already stored + quarantined.",
                                 "zh": "隔离行数：无法导入的行，原因见下表。读取 = 导入 + 合并 + 已存储 + 隔离。"},
    "data_explain_duplicates": {"en": "Exact duplicate events: events equal to an earlier one in every column; "
                                      "they are kept and counted.",
                                "zh": "完全重复事件：所有列都与之前某条事件相同的事件；保留并计数。"},
    "data_explain_open": {"en": "Open instances: started but not completed when the log was extracted "
                                "(no completion time).",
                          "zh": "未完成的实例：导出日志时已开始但尚未完成（没有完成时间）。"},
    "q_source": {"en": "Source", "zh": "数据源"},
    "q_row": {"en": "Row", "zh": "行号"},
    "q_position": {"en": "Position", "zh": "位置"},
    "q_column": {"en": "Column", "zh": "列"},
    "q_value": {"en": "Value", "zh": "值"},
    "q_reason": {"en": "Reason", "zh": "原因"},
    "q_detail": {"en": "Detail", "zh": "详情"},
    "no_store": {"en": "The store holds no process yet: run flowmine ingest.",
                 "zh": "存储中还没有流程：请先运行 flowmine ingest。"},
}



def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when a translation is missing)."""
    entry = LABELS[key]
    return entry.get(lang) or entry["en"]
