// Charts drawn as SVG by hand: no library, nothing fetched. Every chart comes with
// its numbers as a table (for screen readers and for copying) and the log
// position it reflects. A suppressed value is drawn as an empty, hatched bar
// labelled "suppressed": it is never estimated.

import { h, provenance, table } from "./dom.js";
import { cellText, formatNumber, isSuppressed } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** A figure: title, the chart, what it reflects, and the numbers as a table. */
function figure(id, title, svg, answer, columns, rows) {
  return h(
    "figure", { class: "chart", id },
    h("figcaption", {}, title),
    svg,
    provenance(answer),
    h("details", { class: "numbers" }, h("summary", {}, "Numbers as a table"), table(columns, rows, { caption: title })),
  );
}

/**
 * Vertical bars over a series (days): rows are {label, value}. ``tick`` picks
 * which labels are written under the axis.
 */
export function columnChart({ id, title, rows, answer, valueLabel = "Value", labelHeader = "Day" }) {
  const width = 720, height = 220, left = 44, bottom = 28, top = 10;
  const plotWidth = width - left - 8, plotHeight = height - top - bottom;
  const values = rows.map((r) => (isSuppressed(r.value) ? 0 : r.value || 0));
  const max = niceMax(Math.max(0, ...values));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: chart; the numbers are in the table below`, class: "columns" });
  // Counts: a grid line half way only where it falls on a whole number.
  for (const fraction of Number.isInteger(max / 2) ? [0, 0.5, 1] : [0, 1]) {
    const y = top + plotHeight * (1 - fraction);
    svg.append(s("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, formatNumber(max * fraction)));
  }
  const slot = plotWidth / Math.max(rows.length, 1);
  const every = Math.max(1, Math.ceil(rows.length / 10));
  rows.forEach((row, index) => {
    const x = left + index * slot + slot * 0.15;
    const barWidth = Math.max(slot * 0.7, 1);
    if (isSuppressed(row.value)) {
      svg.append(s("rect", { x, y: top, width: barWidth, height: plotHeight, class: "bar suppressed" }, s("title", {}, `${row.label}: suppressed`)));
    } else {
      const barHeight = plotHeight * ((row.value || 0) / max);
      svg.append(s("rect", { x, y: top + plotHeight - barHeight, width: barWidth, height: barHeight, class: "bar" }, s("title", {}, `${row.label}: ${formatNumber(row.value)}`)));
    }
    // Every few labels, counted back from the last: the newest day is always named.
    if ((rows.length - 1 - index) % every === 0) {
      svg.append(s("text", { x: x + barWidth / 2, y: height - 8, class: "axis", "text-anchor": "middle" }, row.shortLabel || row.label));
    }
  });
  return figure(id, title, svg, answer,
    [{ label: labelHeader, value: (r) => r.label }, { label: valueLabel, value: (r) => r.value, numeric: true }], rows);
}

/**
 * Horizontal bars, one per row {label, value}: status counts, a funnel. With
 * ``funnel`` the bars are centred, each as wide as its share of the first.
 */
export function barChart({ id, title, rows, answer, valueLabel = "Learners", labelHeader = "Stage", funnel = false }) {
  const width = 720, rowHeight = 30, labelWidth = 230, right = 70;
  const height = rows.length * rowHeight + 8;
  const values = rows.map((r) => (isSuppressed(r.value) ? 0 : r.value || 0));
  const max = funnel ? Math.max(1, values[0] || 0, ...values) : niceMax(Math.max(0, ...values));
  const plotWidth = width - labelWidth - right;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: chart; the numbers are in the table below`, class: funnel ? "bars funnel" : "bars" });
  rows.forEach((row, index) => {
    const y = 4 + index * rowHeight;
    svg.append(s("text", { x: labelWidth - 8, y: y + rowHeight / 2 + 4, class: "label", "text-anchor": "end" }, truncate(row.label, 34)));
    if (isSuppressed(row.value)) {
      svg.append(s("rect", { x: labelWidth, y: y + 4, width: plotWidth, height: rowHeight - 8, class: "bar suppressed" }, s("title", {}, `${row.label}: suppressed`)));
      svg.append(s("text", { x: labelWidth + plotWidth + 6, y: y + rowHeight / 2 + 4, class: "value" }, "suppressed"));
      return;
    }
    const barWidth = plotWidth * ((row.value || 0) / max);
    const x = funnel ? labelWidth + (plotWidth - barWidth) / 2 : labelWidth;
    svg.append(s("rect", { x, y: y + 4, width: Math.max(barWidth, 0), height: rowHeight - 8, class: `bar ${row.kind || ""}` }, s("title", {}, `${row.label}: ${formatNumber(row.value)}`)));
    svg.append(s("text", { x: labelWidth + plotWidth + 6, y: y + rowHeight / 2 + 4, class: "value" }, cellText(row.value)));
  });
  return figure(id, title, svg, answer,
    [{ label: labelHeader, value: (r) => r.label }, { label: valueLabel, value: (r) => r.value, numeric: true }], rows);
}

function truncate(text, length) {
  const value = String(text);
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}
