"""The page chrome in English and Simplified Chinese: page titles, controls, hints and notices.

Metric names and their formats are not here: they are the vocabulary's (:mod:`flowmine.vocabulary`,
re-exported below for the pages), so a page names a metric as the report and the CLI do.
"""

from __future__ import annotations

from typing import Any, Final

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
    "any_deviation": {"en": "Any deviation", "zh": "任一偏差"},
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
    "ocel_title": {"en": "Object-centric log (OCEL 2.0)", "zh": "对象中心事件日志（OCEL 2.0）"},
    "ocel_summary": {"en": "Cases are the {type} objects ({cases:,}): {used:,} of {total:,} events relate to one. "
                           "Convergence: {conv:,} events relate to several of them and were copied into each case "
                           "(+{copies:,} rows), so totals over cases count them more than once. Divergence: {div:,} "
                           "rows repeat a step within one case for different objects of another type, so they "
                           "read as rework.",
                     "zh": "案例为 {type} 对象（{cases:,} 个）：{total:,} 个事件中有 {used:,} 个与之相关。"
                           "收敛：{conv:,} 个事件关联多个该类对象，已复制到每个案例（多出 {copies:,} 行），"
                           "按案例汇总时会被重复计算。发散：{div:,} 行在同一案例中针对另一类型的不同对象重复同一环节，"
                           "看起来像返工。"},
    "ocel_notion": {"en": "Case notion (the same log flattened on another object type)",
                    "zh": "案例视角（同一日志按其他对象类型展开）"},
    "ocel_type": {"en": "Object type", "zh": "对象类型"},
    "ocel_objects": {"en": "Objects", "zh": "对象数"},
    "ocel_cases": {"en": "Cases of this process", "zh": "本流程的案例"},
    "ocel_related": {"en": "Related objects", "zh": "关联对象"},
    "ocel_related_hint": {"en": "For each object of the first type related to objects of the second (through "
                                "object-to-object relations or a shared event): how many, on average and at most.",
                          "zh": "第一类对象中与第二类对象相关（通过对象间关系或共同事件）的对象："
                                "平均和最多关联多少个。"},
    "ocel_from": {"en": "Objects of", "zh": "对象类型"},
    "ocel_to": {"en": "related to", "zh": "关联的对象类型"},
    "ocel_objects_with": {"en": "Objects with any", "zh": "有关联的对象数"},
    "ocel_mean": {"en": "Per object (mean)", "zh": "每个对象（平均）"},
    "ocel_max": {"en": "Most", "zh": "最多"},
    "ocel_several": {"en": "Objects with several", "zh": "关联多个的对象数"},
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
    # shell
    "not_found": {"en": "Page not found: {path}", "zh": "页面不存在：{path}"},
    "unknown_process": {"en": "The store holds no process named {name}; choose a process above.",
                        "zh": "存储中没有名为 {name} 的流程，请在上方选择流程。"},
    "page_failed": {"en": "This page could not be computed", "zh": "本页无法计算"},
    "clear_all": {"en": "Clear all", "zh": "全部清除"},
    "active_filters": {"en": "Active filters", "zh": "当前筛选"},
    "remove_filter": {"en": "Remove this filter", "zh": "移除此筛选"},
    "preset_30": {"en": "Last 30 days", "zh": "最近 30 天"},
    "preset_90": {"en": "Last 90 days", "zh": "最近 90 天"},
    "preset_year": {"en": "Year {year}", "zh": "{year} 年"},
    "preset_all": {"en": "All", "zh": "全部"},
    "presets_hint": {"en": "Counted back from the last case start, {day}", "zh": "自最后一个案例开始日 {day} 往前计算"},
    "zone": {"en": "Time zone", "zh": "时区"},
    "has_filter": {"en": "Contains step", "zh": "包含环节"},
    "df_filter": {"en": "Transition (B directly after A)", "zh": "转移（B 紧接在 A 之后）"},
    "first_filter": {"en": "Start step", "zh": "起始环节"},
    "last_filter": {"en": "End step", "zh": "结束环节"},
    "dur_filter": {"en": "Case duration (hours)", "zh": "案例时长（小时）"},
    "dur_min": {"en": "at least", "zh": "至少"},
    "dur_max": {"en": "at most", "zh": "至多"},
    "n_cases": {"en": "{n} cases", "zh": "{n} 个案例"},
    "views": {"en": "Saved views", "zh": "已保存的视图"},
    "no_views": {"en": "No saved views yet.", "zh": "还没有保存的视图。"},
    "save_view": {"en": "Save this view", "zh": "保存当前视图"},
    "view_name": {"en": "Name of the view", "zh": "视图名称"},
    "view_saved": {"en": "View saved: {name}", "zh": "视图已保存：{name}"},
    "view_refused": {"en": "The view was not saved", "zh": "视图未保存"},
    "report": {"en": "Offline report (HTML) of these filters", "zh": "离线报告（HTML，按当前筛选条件）"},
    "dd_select_all": {"en": "Select all", "zh": "全选"},
    "dd_deselect_all": {"en": "Deselect all", "zh": "全部取消"},
    "dd_selected": {"en": "{num_selected} selected", "zh": "已选 {num_selected} 项"},
    "dd_search": {"en": "Search", "zh": "搜索"},
    "dd_clear_search": {"en": "Clear search", "zh": "清除搜索"},
    "dd_clear": {"en": "Clear selection", "zh": "清除选择"},
    "dd_none": {"en": "No options found", "zh": "没有匹配的选项"},
    "num_filter": {"en": "Numeric attribute", "zh": "数值属性"},
    "times_in": {"en": "Dates and times in {zone}", "zh": "日期与时间按 {zone} 时区"},
    # end shell
    # conf
    "conf_model": {"en": "Reference model", "zh": "参考模型"},
    "conf_model_hint": {"en": "Tasks are coloured by their deviation rate; grey tasks have no step in the log. "
                              "Click a task, or a row of a table below, to list its cases.",
                        "zh": "任务按偏差比例着色；灰色任务在日志中没有对应环节。"
                              "点击任务或下方表格的一行，查看相关案例。"},
    "conf_no_diagram": {"en": "The reference model has no diagram layout (BPMN DI): only the tables are shown.",
                        "zh": "参考模型没有图形布局（BPMN DI）：仅显示表格。"},
    "conf_bad_diagram": {"en": "The reference model's diagram cannot be drawn", "zh": "参考模型的图形无法绘制"},
    "conf_unmatched": {"en": "no step of the log has this name", "zh": "日志中没有同名环节"},
    "conf_cases_affected": {"en": "Cases with a deviation here", "zh": "此处有偏差的案例"},
    "conf_in_cases": {"en": "in {n} cases", "zh": "涉及 {n} 个案例"},
    "conf_rate_scale": {"en": "Deviation rate", "zh": "偏差比例"},
    "conf_rule_id": {"en": "Id", "zh": "编号"},
    "conf_detail_step": {"en": "Cases deviating at this step", "zh": "在此环节有偏差的案例"},
    "conf_detail_rule": {"en": "Cases breaking this rule", "zh": "违反此规则的案例"},
    "conf_detail_none": {"en": "No case deviates here.", "zh": "没有案例在此处出现偏差。"},
    "conf_detail_no_rule": {"en": "No case breaks this rule.", "zh": "没有案例违反此规则。"},
    "conf_detail_count": {"en": "{kind}: {total} cases, the first {shown} listed",
                          "zh": "{kind}：共 {total} 个案例，列出前 {shown} 个"},
    "conf_outside": {"en": "Done but not in the model (see the table below): {steps}",
                     "zh": "已执行但不在模型中（见下表）：{steps}"},
    "conf_detail_all": {"en": "{kind}: {total} cases", "zh": "{kind}：共 {total} 个案例"},
    "rule_kind_precedence": {"en": "precedence (one step before another)",
                             "zh": "先后顺序（一个环节须在另一环节之前）"},
    "rule_kind_response": {"en": "response (one step must be followed by another)",
                           "zh": "响应（一个环节之后须有另一环节）"},
    "rule_kind_absence": {"en": "absence (never done)", "zh": "禁止（不得发生）"},
    "rule_kind_exactly_once": {"en": "exactly once", "zh": "恰好一次"},
    "rule_kind_four_eyes": {"en": "four eyes (two different people)", "zh": "四眼原则（须由不同人员完成）"},
    "rule_kind_time_limit": {"en": "time limit", "zh": "时限"},
    "rule_kind_amount_threshold": {"en": "amount threshold (above a limit, a step is required)",
                                   "zh": "金额阈值（超过限额须经指定环节）"},
    # end conf
    # cases
    "cases_explorer": {"en": "All cases", "zh": "全部案例"},
    "case_page": {"en": "Case", "zh": "案例详情"},
    "case_search": {"en": "Search a case id or attribute value", "zh": "搜索案例编号或属性值"},
    "case_count": {"en": "{a}–{b} of {n} cases", "zh": "第 {a}–{b} 个，共 {n} 个案例"},
    "case_count_none": {"en": "No case matches.", "zh": "没有匹配的案例。"},
    "case_fitting": {"en": "Fits the model", "zh": "符合模型"},
    "case_yes": {"en": "yes", "zh": "是"},
    "case_no": {"en": "no", "zh": "否"},
    "case_utc": {"en": "UTC", "zh": "协调世界时"},
    "cases_drill": {"en": "Slowest cases of a variant", "zh": "某变体中最慢的案例"},
    "cases_drill_cap": {"en": "The {shown} slowest of the {n} cases of this variant are listed; every case is in the "
                        "table above (choose the variant in the filter bar).",
                  "zh": "仅列出该变体 {n} 个案例中最慢的 {shown} 个；全部案例见上表（可在筛选栏选择该变体）。"},
    "case_unknown": {"en": "The process {process} has no case with the id {case}.",
                     "zh": "流程 {process} 中没有编号为 {case} 的案例。"},
    "case_missing": {"en": "No case chosen: open one from the list of all cases.",
                     "zh": "未选择案例：请从全部案例列表中打开一个案例。"},
    "case_timeline": {"en": "Timeline (UTC)", "zh": "时间线（协调世界时）"},
    "case_attributes": {"en": "Case attributes", "zh": "案例属性"},
    "case_deviations": {"en": "Deviations from the reference model", "zh": "与参考模型的偏差"},
    "case_no_deviation": {"en": "None: the case fits the reference model.", "zh": "无：该案例符合参考模型。"},
    "case_rules_broken": {"en": "Business rules broken", "zh": "违反的业务规则"},
    "case_no_rule_broken": {"en": "None.", "zh": "无。"},
    "case_wait": {"en": "wait", "zh": "等待"},
    "case_sojourn": {"en": "since previous", "zh": "距上一步"},
    "case_running": {"en": "still running", "zh": "仍在进行"},
    "case_complete": {"en": "Completed", "zh": "完成"},
    "case_field": {"en": "Attribute", "zh": "属性"},
    "case_value": {"en": "Value", "zh": "取值"},
    "case_back": {"en": "← All cases", "zh": "← 全部案例"},
    "case_no_start": {"en": "no start time known", "zh": "开始时间未知"},
    # /cases
    # map
    "map_performance": {"en": "Performance", "zh": "时效"},
    "map_statistic": {"en": "Statistic", "zh": "统计量"},
    "map_stat_absolute": {"en": "Absolute frequency", "zh": "绝对频次"},
    "map_stat_cases": {"en": "Case frequency", "zh": "案例频次"},
    "map_stat_mean": {"en": "Mean", "zh": "平均值"},
    "map_stat_median": {"en": "Median", "zh": "中位数"},
    "map_stat_total": {"en": "Total", "zh": "累计"},
    "map_stat_max": {"en": "Maximum", "zh": "最大值"},
    "map_click_hint": {"en": "Click a step or a path's label point to see its detail here.",
                       "zh": "点击环节或路径标签旁的圆点，在此查看详情。"},
    "map_times": {"en": "Times", "zh": "次数"},
    "map_filter_cases": {"en": "Filter to these cases", "zh": "筛选这些案例"},
    "map_export_svg": {"en": "Download SVG", "zh": "下载 SVG"},
    "map_export_png": {"en": "Download PNG", "zh": "下载 PNG"},
    "map_no_dot": {"en": "Graphviz dot is not installed: the map uses a simple layout without routed edges.",
                   "zh": "未安装 Graphviz dot：流程图使用简单布局，连线不绕开环节。"},
    "map_start": {"en": "Start", "zh": "开始"},
    "map_end": {"en": "End", "zh": "结束"},
    # /map
}



def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when a translation is missing)."""
    entry = LABELS[key]
    return entry.get(lang) or entry["en"]


#: Plotly's own words in Chinese (the mode bar's buttons, its notices, hover labels of box plots) and
#: its date formats: passed to every chart as ``config.locales`` (plotly.js loads no locale files by
#: itself, and nothing may be fetched at run time).
PLOTLY_ZH: dict[str, Any] = {
    "dictionary": {
        "Autoscale": "自动缩放", "Box Select": "框选", "Click to enter Colorscale title": "点击输入色标标题",
        "Compare data on hover": "悬停时比较数据", "Double-click to zoom back out": "双击缩回",
        "Download plot": "下载图表", "Download plot as a png": "下载为 PNG 图片", "Lasso Select": "套索选择",
        "Pan": "平移", "Produced with Plotly": "由 Plotly 生成", "Reset": "重置", "Reset axes": "重置坐标轴",
        "Reset view": "重置视图", "Show closest data on hover": "悬停时显示最近的数据",
        "Snapshot succeeded": "快照已生成",
        "Sorry, there was a problem downloading your snapshot!": "抱歉，下载快照时出现问题！",
        "Taking snapshot - this may take a few seconds": "正在生成快照，可能需要几秒钟",
        "Toggle Spike Lines": "切换辅助线", "Toggle show closest data on hover": "切换悬停时显示最近的数据",
        "Zoom": "缩放", "Zoom in": "放大", "Zoom out": "缩小", "Click to enter Plot title": "点击输入图表标题",
        "Click to enter X axis title": "点击输入 X 轴标题", "Click to enter Y axis title": "点击输入 Y 轴标题",
        "trace": "数据", "max:": "最大值：", "min:": "最小值：", "mean:": "平均值：", "median:": "中位数：",
        "q1:": "下四分位数：", "q3:": "上四分位数：", "upper fence:": "上界：", "lower fence:": "下界：",
        "new text": "新文本", "Draw line": "画线", "Draw rectangle": "画矩形", "Erase active shape": "删除图形",
        "Download plot as a PNG": "下载为 PNG 图片", "Download plot as JSON": "下载为 JSON 文件",
        "Image download succeeded": "图片已下载", "JSON download succeeded": "JSON 文件已下载",
        "Preparing image - this may take a few seconds": "正在生成图片，可能需要几秒钟",
        "Sorry, there was a problem downloading your image!": "抱歉，下载图片时出现问题！",
        "Sorry, there was a problem downloading your JSON file!": "抱歉，下载 JSON 文件时出现问题！",
        "Draw circle": "画圆", "Draw closed freeform": "画封闭图形", "Draw open freeform": "画开放曲线",
        "Reset views": "重置视图", "Click to enter Plot subtitle": "点击输入图表副标题",
        "Produced with Plotly.js": "由 Plotly.js 生成",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d", "year": "%Y年", "month": "%Y年%b", "dayMonth": "%b%-d日",
        "dayMonthYear": "%Y年%b%-d日", "decimal": ".", "thousands": ",", "grouping": [3],
        "currency": ["¥", ""], "periods": ["上午", "下午"],
    },
}


#: Every chart's Plotly config: no "Share chart" button (plotly.js shows one by default; it uploads the
#: chart's data to Plotly Cloud) and no logo link to plotly.com.
PLOTLY_SAFE: dict[str, Any] = {"showSendToCloud": False, "displaylogo": False}


def plotly_config(lang: str, config: dict[str, Any] | None = None) -> Any:  # dcc.Graph types it as its Config
    """A chart's Plotly ``config``: :data:`PLOTLY_SAFE`, then ``config``, in the page's language
    (Chinese: :data:`PLOTLY_ZH` as the ``zh-CN`` locale)."""
    out = {**PLOTLY_SAFE, **(config or {})}
    if lang == "zh":
        out.update(locale="zh-CN", locales={"zh-CN": PLOTLY_ZH})
    return out
