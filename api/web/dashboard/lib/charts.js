// Charts drawn as SVG by hand: no library, nothing fetched. Every chart comes with
// its numbers as a table (for screen readers and for copying) and the log
// position it reflects. A suppressed value is drawn as an empty, hatched bar
// labelled "suppressed": it is never estimated.

import { csvButton, h, provenance, table } from "./dom.js";
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
    h("details", { class: "numbers" }, h("summary", {}, "Numbers as a table"), table(columns, rows, { caption: title }),
      csvButton(title, columns, rows, answer)),
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
export function barChart({ id, title, rows, answer, valueLabel = "Learners", labelHeader = "Stage", funnel = false, digits = 0 }) {
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
    svg.append(s("text", { x: labelWidth + plotWidth + 6, y: y + rowHeight / 2 + 4, class: "value" }, cellText(row.value, Number.isInteger(row.value) ? 0 : digits)));
  });
  return figure(id, title, svg, answer,
    [{ label: labelHeader, value: (r) => r.label }, { label: valueLabel, value: (r) => r.value, numeric: true, digits }], rows);
}

function truncate(text, length) {
  const value = String(text);
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/**
 * A heat map: one row per ``rows`` item, one column per ``columns`` entry
 * {key, label, kind}; each cell is coloured by its column's kind and shaded by
 * its share of the row's ``total`` (in fifths, by class: no inline style). The
 * numbers are in the table under it, as in every chart.
 */
export function heatMap({ id, title, rows, columns, answer, total, labelHeader = "Competency" }) {
  const labelWidth = 240, cellWidth = 96, rowHeight = 30, head = 26;
  const width = labelWidth + columns.length * cellWidth + 8;
  const height = head + rows.length * rowHeight + 6;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: chart; the numbers are in the table below`, class: "heat" });
  columns.forEach((column, c) => {
    svg.append(s("text", { x: labelWidth + c * cellWidth + cellWidth / 2, y: 16, class: "axis", "text-anchor": "middle" }, column.label));
  });
  rows.forEach((row, r) => {
    const y = head + r * rowHeight;
    svg.append(s("text", { x: labelWidth - 8, y: y + rowHeight / 2 + 4, class: "label", "text-anchor": "end" }, truncate(row.label, 34)));
    const whole = total(row);
    columns.forEach((column, c) => {
      const value = row[column.key];
      const x = labelWidth + c * cellWidth + 2;
      if (isSuppressed(value)) {
        svg.append(s("rect", { x, y: y + 2, width: cellWidth - 4, height: rowHeight - 4, class: "bar suppressed" }, s("title", {}, `${row.label}, ${column.label}: suppressed`)));
        svg.append(s("text", { x: x + (cellWidth - 4) / 2, y: y + rowHeight / 2 + 4, class: "value", "text-anchor": "middle" }, "suppressed"));
        return;
      }
      const share = whole > 0 && typeof value === "number" ? value / whole : 0;
      const shade = value ? Math.max(1, Math.round(share * 5)) : 0;
      svg.append(s("rect", { x, y: y + 2, width: cellWidth - 4, height: rowHeight - 4, class: `cell ${column.kind} heat-${shade}` },
        s("title", {}, `${row.label}, ${column.label}: ${cellText(value)}`)));
      svg.append(s("text", { x: x + (cellWidth - 4) / 2, y: y + rowHeight / 2 + 4, class: `cell-value heat-${shade}`, "text-anchor": "middle" }, cellText(value)));
    });
  });
  return figure(id, title, svg, answer,
    [{ label: labelHeader, value: (r) => r.label }, ...columns.map((c) => ({ label: c.label, value: (r) => r[c.key], numeric: true }))], rows);
}

/**
 * A network of groups: ``nodes`` {id, label, size} on a circle (radius by size),
 * ``edges`` {a, b, weight} as lines (width by weight). A suppressed node is drawn
 * as a dashed ring labelled "suppressed" with no size; nodes are named as the
 * view names them. The tables of nodes and ties are the caller's.
 */
export function networkChart({ id, title, nodes, edges, answer, tables, radius = [10, 32], labels = true }) {
  const width = 720, height = 420, cx = width / 2, cy = height / 2, ring = Math.min(cx, cy) - 70;
  const sizes = nodes.map((n) => (isSuppressed(n.size) ? 0 : n.size || 0));
  const biggest = Math.max(1, ...sizes);
  const weights = edges.map((e) => e.weight || 0);
  const heaviest = Math.max(1, ...weights);
  const where = new Map();
  nodes.forEach((node, index) => {
    const angle = (2 * Math.PI * index) / Math.max(nodes.length, 1) - Math.PI / 2;
    where.set(node.id, { x: cx + ring * Math.cos(angle), y: cy + ring * Math.sin(angle) });
  });
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: chart; the numbers are in the tables below`, class: "network" });
  for (const edge of edges) {
    const a = where.get(edge.a), b = where.get(edge.b);
    if (!a || !b) continue;
    svg.append(s("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: "tie", "stroke-width": 1 + 7 * ((edge.weight || 0) / heaviest) },
      s("title", {}, `${edge.a} – ${edge.b}: ${formatNumber(edge.weight, 2)}`)));
  }
  for (const node of nodes) {
    const at = where.get(node.id);
    const hidden = isSuppressed(node.size);
    const r = hidden ? (radius[0] + radius[1]) / 2 : radius[0] + (radius[1] - radius[0]) * Math.sqrt((node.size || 0) / biggest);
    svg.append(s("circle", { cx: at.x, cy: at.y, r, class: hidden ? "node suppressed" : `node ${node.kind || ""}`, "data-node": node.id },
      s("title", {}, `${node.label}: ${hidden ? "suppressed" : formatNumber(node.size)}`)));
    // Many nodes: no labels on the picture (each circle's title and the table name it).
    if (!labels) continue;
    svg.append(s("text", { x: at.x, y: at.y + r + 14, class: "label", "text-anchor": "middle" }, truncate(node.label, 24)));
    svg.append(s("text", { x: at.x, y: at.y + 4, class: "node-value", "text-anchor": "middle" }, hidden ? "?" : formatNumber(node.size)));
  }
  return h("figure", { class: "chart", id }, h("figcaption", {}, title), svg, provenance(answer),
    h("details", { class: "numbers" }, h("summary", {}, "Numbers as a table"), ...tables));
}
