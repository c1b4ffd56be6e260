// Building the page with the DOM API only: no innerHTML with data, so text from
// statements can never become markup (and the CSP forbids inline scripts anyway).

import { cellText, csvText, fileName, isSuppressed } from "./format.js";

/** h("p", {class: "note"}, "text", child, ...): an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Append children to an element, leaving out null, undefined and false. */
export function append(element, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A table: ``columns`` are {label, value(row) -> text|Node, numeric}. */
export function table(columns, rows, { caption = null, empty = "Nothing to show." } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label))));
  const body = h("tbody");
  for (const row of rows) {
    body.append(h("tr", {}, columns.map((c) => cell(c.value(row), c))));
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  return h("table", {}, caption ? h("caption", {}, caption) : null, head, body);
}

function cell(value, column) {
  if (isSuppressed(value)) {
    return h("td", { class: "suppressed num", title: value.reason || "suppressed by the view's privacy rules" }, "suppressed");
  }
  if (value instanceof Node) return h("td", { class: column.numeric ? "num" : null }, value);
  const text = typeof value === "number" || value === null || value === undefined
    ? cellText(value, column.digits || 0) : String(value);
  return h("td", { class: column.numeric ? "num" : null }, text);
}

/** Where an answer comes from: the log position and moment it reflects. */
export function provenance(answer) {
  const moment = answer.asOf ? ` · as of ${answer.asOf.replace("T", " ").slice(0, 19)} UTC` : "";
  return h("p", { class: "provenance", "data-position": answer.position }, `log position ${answer.position}${moment}`);
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export function message(kind, text) {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/**
 * A button that saves ``rows`` as a CSV file built in the page from the same
 * values the table shows (suppressed cells stay "suppressed"), with the log
 * position the answer reflects in its name.
 */
export function csvButton(title, columns, rows, answer = null) {
  const button = h("button", { type: "button", class: "csv" }, "Download as CSV");
  button.addEventListener("click", () => {
    const name = fileName(answer && answer.position !== undefined ? `${title} at ${answer.position}` : title, "csv");
    const url = URL.createObjectURL(new Blob([csvText(columns, rows)], { type: "text/csv;charset=utf-8" }));
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  return button;
}

/** A table with its CSV button under it. */
export function downloadableTable(title, columns, rows, answer, options = {}) {
  return h("div", { class: "downloadable" }, table(columns, rows, options), csvButton(title, columns, rows, answer));
}
