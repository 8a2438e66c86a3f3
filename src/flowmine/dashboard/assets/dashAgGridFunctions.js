/* flowmine's AG Grid helpers, served from the dashboard's own assets (no eval: dash-ag-grid calls
   registered functions by name, so the Content-Security-Policy needs no 'unsafe-eval').
   A grid row holds raw values (numbers sort as numbers, exports hold numbers) and, beside each
   formatted column, its display text under "<field>__text" (formatted in Python by
   flowmine.vocabulary, so the grid shows what every other page shows). */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* The display text of a cell: the row's "<field>__text", else the raw value. */
dagfuncs.fmText = function (params) {
  if (!params || !params.data || !params.colDef) { return params && params.value != null ? String(params.value) : ""; }
  var text = params.data[params.colDef.field + "__text"];
  if (text != null) { return String(text); }
  return params.value == null ? "" : String(params.value);
};

/* A column's header in an export: the name with its unit ("Cost (CNY)"), kept in headerTooltip. */
dagfuncs.fmExportHeader = function (params) {
  var def = params && params.column ? params.column.getColDef() : {};
  return def.headerTooltip || def.headerName || def.field || "";
};

var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* A case id as a link to its case page; the id is text (React escapes it), the address is built on
   the server ("/case?process=...&case=...&lang=..."). */
dagcomponentfuncs.FmCaseLink = function (props) {
  var value = props.value == null ? "" : String(props.value);
  if (!value) { return ""; }
  var href = props.data && props.colDef ? props.data[props.colDef.field + "__href"] : null;
  if (!href) {  /* a table built without its filters: the process and language of the page's URL */
    var here = new URLSearchParams(window.location.search);
    var q = new URLSearchParams();
    q.set("process", here.get("process") || "");
    q.set("case", value);
    q.set("lang", here.get("lang") || "en");
    href = "/case?" + q.toString();
  }
  if (String(href).indexOf("/case?") !== 0) { return value; }
  return React.createElement("a", { href: href, className: "fm-case-link" }, value);
};
