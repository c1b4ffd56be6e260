// The store at a glance: statements and active learners per day, totals, the
// newest statements (GET /views/overview).

import { columnChart } from "../lib/charts.js";
import { h, provenance, section, table } from "../lib/dom.js";
import { agentLabel, formatMoment, formatNumber, objectLabel, verbLabel } from "../lib/format.js";

const DAY_CHOICES = [7, 30, 90, 365];

function tile(id, label, value) {
  return h("div", { class: "tile", id }, h("span", { class: "tile-value" }, formatNumber(value)), h("span", { class: "tile-label" }, label));
}

async function render(container, { api, params, go }) {
  const days = Number(params.get("days") || 30);
  const answer = await api.view("/views/overview", { days, latest: 15 });
  const picker = h("select", { id: "days", "aria-label": "Days shown" },
    DAY_CHOICES.map((d) => h("option", { value: d, selected: d === days }, `last ${d} days`)));
  picker.addEventListener("change", () => go({ days: picker.value }));
  const daily = answer.days.map((d) => ({ label: d.date, shortLabel: d.date.slice(5), statements: d.statements, learners: d.learners }));
  container.append(
    h("div", { class: "toolbar" }, h("label", { for: "days" }, "Window "), picker, provenance(answer)),
    h("div", { class: "tiles" },
      tile("total-statements", "statements in the store", answer.totals.statements),
      tile("total-learners", "learners in the store", answer.totals.learners),
      tile("window-statements", `statements, ${answer.window.since} to ${answer.window.until}`, answer.window.statements),
      tile("window-learners", `active learners, ${answer.window.since} to ${answer.window.until}`, answer.window.learners)),
    section("Activity per day",
      columnChart({ id: "chart-statements", title: "Statements stored per day (UTC)", answer, valueLabel: "Statements",
        rows: daily.map((d) => ({ label: d.label, shortLabel: d.shortLabel, value: d.statements })) }),
      columnChart({ id: "chart-learners", title: "Active learners per day (UTC)", answer, valueLabel: "Learners",
        rows: daily.map((d) => ({ label: d.label, shortLabel: d.shortLabel, value: d.learners })) })),
    section("Latest statements",
      h("div", { id: "latest" }, table([
        { label: "Stored", value: (s) => formatMoment(s.stored) },
        { label: "Actor", value: (s) => agentLabel(s.actor) },
        { label: "Verb", value: (s) => verbLabel(s.verb) },
        { label: "Object", value: (s) => objectLabel(s.object) },
        { label: "Position", value: (s) => s.position, numeric: true },
      ], answer.latest, { empty: "No statements yet." })),
      provenance(answer)),
  );
}

export default { id: "overview", title: "Overview", view: "overview", audience: "manager", render };
