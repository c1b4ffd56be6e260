// Learner progress (GET /views/progress/...): a learner's activities with status
// and evidence; a course's completion funnel and cohort table.

import { barChart } from "../lib/charts.js";
import { append, downloadableTable, h, message, provenance, section, table } from "../lib/dom.js";
import {
  agentLabel, agentParameter, formatDuration, formatMoment, formatNumber, formatPercent, isSuppressed, lastSegment,
} from "../lib/format.js";

const STATUSES = ["in progress", "completed", "failed", "passed"];

/** Status counts as chart rows (values as the view sent them, suppressed or not). */
export function statusRows(counts) {
  return STATUSES.map((status) => ({ label: status, value: counts[status], kind: status.replace(" ", "-") }));
}

/**
 * The completion funnel of a course: the learners of its cohort (a record on the
 * course or any of its activities), then those who completed or passed each
 * child, then those who completed or passed the course itself. A
 * stage whose parts the view suppressed is suppressed, never estimated.
 */
export function funnelRows(summary, started) {
  const succeeded = (counts) => (isSuppressed(counts.completed) || isSuppressed(counts.passed)
    ? { suppressed: true, reason: "a part of this number is suppressed" }
    : counts.completed + counts.passed);
  return [
    { label: "Started the course", value: started },
    ...summary.children.map((child) => ({ label: `Finished ${lastSegment(child.activityId)}`, value: succeeded(child.statusCounts) })),
    { label: "Completed or passed the course", value: succeeded(summary.statusCounts), kind: "passed" },
  ];
}

function form(id, label, name, value, placeholder, onSubmit) {
  const input = h("input", { id: `${id}-input`, name, value: value || "", placeholder, required: true, size: 48 });
  const element = h("form", { id, class: "query" }, h("label", { for: `${id}-input` }, label), input, h("button", { type: "submit" }, "Show"));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(input.value.trim());
  });
  return element;
}

async function learnerPart(api, params, go) {
  const agentText = params.get("agent");
  const part = section("A learner's activities",
    form("learner-form", "Learner (e-mail or JSON Agent)", "agent", agentText, "ann@example.com",
      (value) => go({ agent: value, activity: params.get("activity") })));
  if (!agentText) return part;
  let agent;
  try {
    agent = agentParameter(agentText);
  } catch (error) {
    append(part, message("error", error.message));
    return part;
  }
  const answer = await api.view("/views/progress/learners", { agent, limit: 200 });
  const evidenceFor = params.get("evidence");
  append(part,
    h("p", { class: "subject" }, `Learner: ${answer.learner ? agentLabel(answer.learner) : agentText}`),
    barChart({ id: "chart-learner-status", title: "Activities by status", rows: statusRows(answer.statusCounts), answer, valueLabel: "Activities", labelHeader: "Status" }),
    h("div", { id: "learner-activities" }, downloadableTable("Learner activities", [
      { label: "Activity", value: (r) => h("span", { title: r.activityId }, r.activityId) },
      { label: "Registration", value: (r) => r.registration || "all" },
      { label: "Status", value: (r) => h("span", { class: `status ${r.status.replace(" ", "-")}` }, r.status) },
      { label: "Attempts", value: (r) => r.attempts, numeric: true },
      { label: "Best score", value: (r) => (r.bestScaledScore === null ? null : formatPercent(r.bestScaledScore)), numeric: true },
      { label: "Time spent", value: (r) => formatDuration(r.timeSpentSeconds), numeric: true },
      { label: "Last activity", value: (r) => formatMoment(r.lastActivity) },
      { label: "Evidence", value: (r) => h("button", { type: "button", class: "link", "data-activity": r.activityId,
        onclick: () => go({ agent: agentText, activity: params.get("activity"), evidence: r.activityId }) }, "Evidence") },
    ], answer.activities, answer, { empty: "No progress recorded for this learner." })),
    answer.more ? message("info", "Only the 200 most recent activities are listed.") : null,
    provenance(answer));
  if (evidenceFor) append(part, await evidencePart(api, agent, evidenceFor));
  return part;
}

async function evidencePart(api, agent, activityId) {
  const answer = await api.view("/views/progress/detail", { agent, activityId });
  const shown = h("pre", { id: "evidence-statement", class: "statement", hidden: true });
  const rows = [];
  for (const record of answer.records) {
    for (const [what, ids] of Object.entries(record.evidence || {})) {
      for (const id of [].concat(ids || [])) rows.push({ registration: record.registration || "all", what, id, status: record.status });
    }
  }
  const open = async (id) => {
    const statement = await api.get("/xapi/statements", { statementId: id });
    shown.textContent = JSON.stringify(statement, null, 2);
    shown.hidden = false;
  };
  return h("div", { id: "evidence", class: "evidence" },
    h("h3", {}, `Evidence for ${activityId}`),
    table([
      { label: "Registration", value: (r) => r.registration },
      { label: "Status", value: (r) => r.status },
      { label: "Evidence of", value: (r) => r.what },
      { label: "Statement", value: (r) => h("button", { type: "button", class: "link mono", onclick: () => open(r.id) }, r.id) },
    ], rows, { empty: "No evidence statements." }),
    provenance(answer), shown);
}

async function coursePart(api, params, go) {
  const activityId = params.get("activity");
  const part = section("A course's cohort",
    form("course-form", "Course (activity IRI)", "activity", activityId, "http://example.com/courses/safety",
      (value) => go({ activity: value, agent: params.get("agent") })));
  if (!activityId) return part;
  const summary = await api.view("/views/progress/activities", { activityId });
  // At least where the summary was: the funnel puts numbers of both side by side.
  const cohort = await api.view("/views/progress/cohort", { activityId, limit: 200, minPosition: api.asOf ? null : summary.position });
  const children = cohort.children;
  append(part,
    h("div", { class: "tiles" },
      h("div", { class: "tile", id: "course-learners" }, h("span", { class: "tile-value" }, formatNumber(cohort.totalLearners)), h("span", { class: "tile-label" }, "learners in the course")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, formatPercent(summary.completionRate)), h("span", { class: "tile-label" }, "completion rate")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, formatPercent(summary.passRate)), h("span", { class: "tile-label" }, "pass rate")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, formatDuration(summary.medianSecondsToComplete)), h("span", { class: "tile-label" }, "median time to complete"))),
    barChart({ id: "chart-funnel", title: "Completion funnel", rows: funnelRows(summary, cohort.totalLearners), answer: cohort, funnel: true }),
    barChart({ id: "chart-course-status", title: "Learners by status", rows: statusRows(summary.statusCounts), answer: summary, labelHeader: "Status" }),
    h("h3", {}, "Cohort"),
    h("div", { id: "cohort", class: "scroll" }, downloadableTable("Course cohort", [
      { label: "Learner", value: (r) => agentLabel(r.learner) },
      { label: "Status", value: (r) => h("span", { class: `status ${r.status.replace(" ", "-")}` }, r.status) },
      { label: "Complete", value: (r) => (r.percentComplete === null ? null : `${formatNumber(r.percentComplete, 0)} %`), numeric: true },
      ...children.map((child) => ({ label: lastSegment(child), value: (r) => {
        const status = r.children[child];
        return isSuppressed(status) ? status : h("span", { class: `status ${String(status).replace(" ", "-")}`, title: child }, status);
      } })),
    ], cohort.learners, cohort, { empty: "No learner has started this course." })),
    cohort.more ? message("info", `The first 200 of ${cohort.totalLearners} learners.`) : null,
    provenance(cohort));
  return part;
}

async function render(container, { api, params, go }) {
  const [learner, course] = await Promise.all([learnerPart(api, params, go), coursePart(api, params, go)]);
  container.append(learner, course);
}

export default { id: "progress", title: "Learner progress", view: "progress", audience: "manager", render };
