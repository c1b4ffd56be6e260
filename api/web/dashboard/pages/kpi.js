// Programme KPIs (GET /views/kpi/...): the programme list with headline figures
// and Kirkpatrick coverage, a programme's evaluation by level, its module funnel
// and a time series, the quarterly themes of a fiscal year, and the evaluation as
// a CSV file (fetched with the credential in its header, saved from a blob).
// Figures are the view's after its privacy layer: a hidden one shows as suppressed.

import { barChart, columnChart } from "../lib/charts.js";
import { download } from "../lib/api.js";
import { append, downloadableTable, h, message, provenance, section, table } from "../lib/dom.js";
import { figureValue, formatNumber, formatPercent, isSuppressed, languageText, pointValue, privateCount, ratioText } from "../lib/format.js";

const GRAINS = ["day", "week", "month", "quarter"];
const LEVELS = [
  ["L0_inputs", "L0 inputs"], ["L1_reaction", "L1 reaction"], ["L2_learning", "L2 learning"],
  ["L3_behaviour", "L3 behaviour"], ["L4_results", "L4 results"],
];

function rate(figure) {
  const value = figureValue(figure);
  return isSuppressed(value) || value === null || value === undefined ? value : formatPercent(value);
}

function number(figure, digits = 0) {
  const value = figureValue(figure);
  return isSuppressed(value) || value === null || value === undefined ? value : formatNumber(value, digits);
}

/** A rate figure as a bar (whole percent), suppressed kept as such. */
export function percentBar(figure) {
  const value = figureValue(figure);
  return isSuppressed(value) || value === null || value === undefined ? value : Math.round(value * 1000) / 10;
}

/**
 * The evaluation's figures, level by level, as rows {level, measure, value,
 * ratio}: what the view answered, nothing derived.
 */
export function evaluationRows(answer) {
  const l = answer.levels;
  const rows = [
    ["L0 inputs", "Enrolled", number(l.L0_inputs.enrolled), null],
    ["L0 inputs", "Learning hours", number(l.L0_inputs.learningHours, 1), null],
    ["L0 inputs", "Completion rate", rate(answer.completion), ratioText(answer.completion)],
    ["L0 inputs", "Median days to complete", isSuppressed(answer.completion) ? answer.completion : answer.completion.medianDaysToComplete, null],
  ];
  const reaction = l.L1_reaction || {};
  if (reaction.satisfaction) {
    rows.push(["L1 reaction", `Satisfaction (scale ${(reaction.satisfaction.scale || []).join("–")})`, number(reaction.satisfaction, 2), null]);
    rows.push(["L1 reaction", "Response rate", rate(reaction.satisfaction.responseRate), ratioText(reaction.satisfaction.responseRate)]);
  }
  if (reaction.nps) rows.push(["L1 reaction", "Net promoter score", number(reaction.nps), isSuppressed(reaction.nps) ? null : `${reaction.nps.respondents} respondents`]);
  const learning = l.L2_learning || {};
  if (learning.passRate) rows.push(["L2 learning", "Pass rate", rate(learning.passRate), ratioText(learning.passRate)]);
  if ("medianBestScore" in learning) rows.push(["L2 learning", "Median best score", number(learning.medianBestScore, 3), null]);
  const behaviour = l.L3_behaviour || {};
  if (behaviour.applicationRate) rows.push(["L3 behaviour", `Applied within ${behaviour.applicationRate.withinDays || "?"} days`, rate(behaviour.applicationRate), ratioText(behaviour.applicationRate)]);
  if (behaviour.status) rows.push(["L3 behaviour", behaviour.status, null, behaviour.hint || null]);
  const results = l.L4_results || {};
  if (results.status) rows.push(["L4 results", results.status, null, results.hint || null]);
  for (const [name, figure] of Object.entries(results)) {
    if (name !== "status" && name !== "hint") rows.push(["L4 results", name, number(figure, 2), ratioText(figure)]);
  }
  return rows.map(([level, measure, value, ratio]) => ({ level, measure, value, ratio }));
}

function controls(params, go, programmes, windowLabel) {
  const windowInput = h("input", { id: "kpi-window", name: "window", value: params.get("window") || "", placeholder: "2026-Q3, 2026-07, 2026", size: 14 });
  const programme = h("select", { id: "kpi-programme", name: "programme" },
    programmes.map((p) => h("option", { value: p.programme, selected: p.programme === params.get("programme") }, languageText(p.name) || p.programme)));
  const grain = h("select", { id: "kpi-grain", name: "grain" },
    GRAINS.map((g) => h("option", { value: g, selected: g === (params.get("grain") || "week") }, g)));
  const year = h("input", { id: "kpi-year", name: "year", value: params.get("year") || windowLabel.slice(0, 4), size: 6 });
  const form = h("form", { id: "kpi-form", class: "controls" },
    h("label", { for: "kpi-window" }, "Window (default: this quarter)", windowInput),
    h("label", { for: "kpi-programme" }, "Programme", programme),
    h("label", { for: "kpi-grain" }, "Series by", grain),
    h("label", { for: "kpi-year" }, "Themes of fiscal year", year),
    h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ window: windowInput.value.trim(), programme: programme.value, grain: grain.value, year: year.value.trim() });
  });
  return form;
}

function programmesPart(answer) {
  return section("Programmes",
    h("p", { class: "subject" }, `${answer.window.label}: ${answer.window.from} to ${answer.window.to} (${answer.window.timezone})`),
    h("div", { id: "kpi-programmes", class: "scroll" }, downloadableTable("Programmes", [
      { label: "Programme", value: (p) => languageText(p.name) || p.programme },
      { label: "Version", value: (p) => p.version, numeric: true },
      { label: "Theme", value: (p) => (p.theme ? `${p.theme.quarter} ${languageText(p.theme.label) || ""}` : "—") },
      { label: "Enrolled", value: (p) => number(p.enrolled), numeric: true },
      { label: "Completion", value: (p) => rate(p.completionRate), numeric: true },
      { label: "Pass rate", value: (p) => rate(p.passRate), numeric: true },
      { label: "NPS", value: (p) => number(p.nps), numeric: true },
      ...LEVELS.map(([key, label]) => ({ label: label.slice(0, 2), value: (p) => (p.coverage[key] ? "✓" : "no") })),
    ], answer.programmes, answer, { empty: "No programme is defined: PUT /admin/programmes/{id}." })),
    h("p", { class: "note" }, "L0–L4: the Kirkpatrick levels this programme's definition and data cover."),
    provenance(answer));
}

function evaluationPart(api, answer, programme, windowLabel) {
  const rows = evaluationRows(answer);
  const status = h("span", { class: "note", id: "kpi-csv-status", role: "status" });
  const button = h("button", { type: "button", id: "kpi-csv" }, "Download the evaluation as CSV");
  button.addEventListener("click", async () => {
    status.textContent = "…";
    try {
      const saved = await download(api, `/views/kpi/programmes/${encodeURIComponent(programme)}/evaluation`,
        { window: windowLabel }, "text/csv", `kpi-${programme}-evaluation.csv`);
      status.textContent = `Saved ${saved.name} (${formatNumber(saved.size)} bytes, log position ${saved.position}).`;
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  });
  const bars = [
    { label: "Completion", value: percentBar(answer.completion) },
    { label: "Survey response", value: percentBar(answer.levels.L1_reaction && answer.levels.L1_reaction.satisfaction && answer.levels.L1_reaction.satisfaction.responseRate) },
    { label: "Pass", value: percentBar(answer.levels.L2_learning && answer.levels.L2_learning.passRate) },
    { label: "Applied on the job", value: percentBar(answer.levels.L3_behaviour && answer.levels.L3_behaviour.applicationRate) },
  ].filter((r) => r.value !== undefined);
  const byMode = answer.byMode || {};
  return section(`Evaluation by Kirkpatrick level: ${answer.programme} (version ${answer.version})`,
    h("p", { class: "subject" }, `${answer.window.label}: ${answer.window.from} to ${answer.window.to} · ${answer.privacy.suppressedCells} cell(s) suppressed by the privacy layer`),
    barChart({ id: "chart-kpi-rates", title: "Rates by level (%)", rows: bars, answer, labelHeader: "Rate", valueLabel: "%", digits: 1 }),
    h("div", { id: "kpi-evaluation" }, table([
      { label: "Level", value: (r) => r.level },
      { label: "Measure", value: (r) => r.measure },
      { label: "Value", value: (r) => r.value, numeric: true },
      { label: "Of", value: (r) => r.ratio },
    ], rows)),
    h("h3", {}, "Group and solo learners (observational)"),
    h("div", { id: "kpi-by-mode" }, table([
      { label: "Mode", value: (r) => r.mode },
      { label: "Learners", value: (r) => (isSuppressed(r.figure) ? r.figure : r.figure.learners), numeric: true },
      { label: "Completion", value: (r) => (isSuppressed(r.figure) ? r.figure : rate(r.figure.completionRate)), numeric: true },
      { label: "Pass rate", value: (r) => (isSuppressed(r.figure) ? r.figure : rate(r.figure.passRate)), numeric: true },
    ], ["group", "solo"].filter((m) => m in byMode).map((mode) => ({ mode, figure: byMode[mode] })))),
    byMode.note ? h("p", { class: "note" }, byMode.note) : null,
    h("p", { class: "query" }, button, status),
    provenance(answer));
}

function funnelPart(answer) {
  const rows = answer.modules.map((m) => ({ ...m, label: m.name || m.activity }));
  return section("Funnel per module",
    barChart({ id: "chart-kpi-funnel", title: "Learners who completed each module", answer, labelHeader: "Module", valueLabel: "Completed",
      rows: rows.map((m) => ({ label: m.label, value: privateCount(m.completed, answer), kind: "completed" })) }),
    h("div", { id: "kpi-funnel" }, downloadableTable("Programme funnel", [
      { label: "Module", value: (m) => m.label },
      { label: "Attempted", value: (m) => privateCount(m.attempted, answer), numeric: true },
      { label: "Completed", value: (m) => privateCount(m.completed, answer), numeric: true },
      { label: `Stalled here (${answer.inactivityDays} days inactive)`, value: (m) => privateCount(m.stalledHere, answer), numeric: true },
    ], rows, answer)));
}

function seriesPart(answer) {
  const charts = answer.series.map((s) => columnChart({
    id: `chart-kpi-series-${s.metric}`, title: `${s.metric.replace(/_/g, " ")} per ${answer.grain}`, answer, labelHeader: answer.grain, valueLabel: s.metric,
    rows: s.points.map((p) => ({ label: p.bucket, shortLabel: p.bucket.length > 7 ? p.bucket.slice(5) : p.bucket, value: pointValue(p) })),
  }));
  return section("Time series", ...charts);
}

function themesPart(answer) {
  const rows = answer.themes;
  return section(`Quarterly themes of fiscal ${answer.year}`,
    barChart({ id: "chart-kpi-themes", title: `Reach per theme (% of ${answer.reachDenominator})`, answer, labelHeader: "Theme", valueLabel: "Reach (%)", digits: 1,
      rows: rows.map((t) => ({ label: `${t.quarter} ${t.label || t.theme}`, value: percentBar(t.reach) })) }),
    h("div", { id: "kpi-themes" }, downloadableTable("Quarterly themes", [
      { label: "Quarter", value: (t) => t.quarter },
      { label: "Theme", value: (t) => t.label || t.theme },
      { label: "Programme", value: (t) => t.programme },
      { label: "Reach", value: (t) => rate(t.reach), numeric: true },
      { label: "Of", value: (t) => ratioText(t.reach) },
      { label: "Active learners", value: (t) => privateCount(t.activeLearners, answer), numeric: true },
      { label: "Completions", value: (t) => privateCount(t.completions, answer), numeric: true },
      { label: "Contributions", value: (t) => privateCount(t.contributions, answer), numeric: true },
      { label: "Reach vs previous quarter", value: (t) => (t.deltaReach === null ? null : formatNumber(t.deltaReach, 3)), numeric: true },
    ], rows, answer, { empty: "No theme in this fiscal year." })));
}

async function render(container, { api, params, go }) {
  const windowLabel = params.get("window") || null;
  const list = await api.view("/views/kpi/programmes", { window: windowLabel });
  const chosen = params.get("programme") || (list.programmes[0] || {}).programme;
  const year = params.get("year") || list.window.label.slice(0, 4);
  container.append(section("Show", controls(params, go, list.programmes, list.window.label)), programmesPart(list));
  const path = chosen ? `/views/kpi/programmes/${encodeURIComponent(chosen)}` : null;
  const [evaluation, funnel, series, themes] = await Promise.all([
    path ? api.view(`${path}/evaluation`, { window: windowLabel }) : null,
    path ? api.view(`${path}/funnel`, { window: windowLabel }) : null,
    path ? api.view(`${path}/series`, { window: windowLabel, grain: params.get("grain") || "week" }) : null,
    api.view("/views/kpi/themes", { year })]);
  if (!path) append(container, message("info", "No programme to evaluate."));
  else append(container, evaluationPart(api, evaluation, chosen, windowLabel), funnelPart(funnel), seriesPart(series));
  append(container, themesPart(themes));
}

export default { id: "kpi", title: "Programme KPIs", view: "kpi", audience: "manager", render };
