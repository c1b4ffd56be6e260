// A credential's own page: who it is, its learner's progress, its latest
// statements. Any credential may open it, a learner's (statements/read/mine) too.

import { barChart } from "../lib/charts.js";
import { downloadableTable, h, message, provenance, section, table } from "../lib/dom.js";
import {
  agentLabel, formatDuration, formatMoment, formatPercent, objectLabel, privateCount, verbLabel,
} from "../lib/format.js";
import { statusRows } from "./progress.js";

async function render(container, { api, me, views, params }) {
  const learner = me.learner;
  container.append(section("Who you are",
    h("dl", { class: "facts" },
      h("dt", {}, "Learner"), h("dd", { id: "me-learner" }, agentLabel(learner)),
      h("dt", {}, "Store"), h("dd", {}, me.store),
      h("dt", {}, "Scopes"), h("dd", { id: "me-scopes" }, me.scopes.join(", ")))));
  const progress = await api.view("/views/me/progress", { limit: 200 });
  container.append(section("Your progress",
    barChart({ id: "chart-my-status", title: "Your activities by status", rows: statusRows(progress.statusCounts), answer: progress, valueLabel: "Activities", labelHeader: "Status" }),
    h("div", { id: "my-activities" }, downloadableTable("My activities", [
      { label: "Activity", value: (r) => r.activityId },
      { label: "Status", value: (r) => h("span", { class: `status ${r.status.replace(" ", "-")}` }, r.status) },
      { label: "Attempts", value: (r) => r.attempts, numeric: true },
      { label: "Best score", value: (r) => (r.bestScaledScore === null ? null : formatPercent(r.bestScaledScore)), numeric: true },
      { label: "Time spent", value: (r) => formatDuration(r.timeSpentSeconds), numeric: true },
      { label: "Last activity", value: (r) => formatMoment(r.lastActivity) },
    ], progress.activities, progress, { empty: "No progress recorded for you yet." })),
    provenance(progress)));
  if (views && views.has("social")) container.append(await socialPart(api, params.get("window")));
  // The statements API has no asOf; its `until` (stored at or before) shows the
  // statements as they had been stored then.
  const query = { agent: JSON.stringify(strip(learner)), limit: 15 };
  if (api.asOf) query.until = api.asOf;
  let statements;
  try {
    statements = await api.get("/xapi/statements", query);
  } catch (error) {
    container.append(section("Your latest statements", message("error", error.message)));
    return;
  }
  // xAPI's statements/read/mine reads only what this credential sent itself
  // (Communication 4.2: "statements/read/mine"), so say it; the progress above
  // comes from the view, which counts every statement about the learner.
  const ownOnly = !me.scopes.some((scope) => ["statements/read", "all/read", "all"].includes(scope));
  container.append(section("Your latest statements",
    ownOnly ? h("p", { class: "note", id: "my-statements-scope" },
      "Statements this credential sent itself (its scope, statements/read/mine, reads no others); your progress above also counts statements a learning platform sent about you.") : null,
    h("div", { id: "my-statements" }, table([
      { label: "Stored", value: (s) => formatMoment(s.stored) },
      { label: "Verb", value: (s) => verbLabel(s.verb) },
      { label: "Object", value: (s) => objectLabel(s.object) },
    ], statements.statements, { empty: "No statements about you." }))));
}

/** The learner's own side of the social view (GET /views/social/me): this quarter, or `window`. */
async function socialPart(api, windowLabel) {
  let answer;
  try {
    answer = await api.view("/views/social/me", { window: windowLabel });
  } catch (error) {
    // A credential that names no single learner (403) has no social side.
    return section("Your learning with others", message("info", error.message));
  }
  const c = answer.contributions;
  const rows = [
    { label: "Co-learners", value: privateCount(answer.coLearners, answer) },
    { label: "Teams your learning reached", value: privateCount(answer.teamsReached, answer) },
    { label: "Gatherings", value: answer.gatherings.length },
    { label: "Artifacts you shared", value: privateCount(c.artifacts, answer) },
    { label: "People who used them", value: privateCount(c.distinctConsumers, answer) },
    { label: "Replies received", value: privateCount(c.repliesReceived, answer) },
    { label: "Reactions", value: privateCount(c.reactions, answer) },
    { label: "Mentors", value: privateCount(answer.mentoring.mentors, answer) },
    { label: "Mentees", value: privateCount(answer.mentoring.mentees, answer) },
  ];
  return section("Your learning with others",
    h("p", { class: "subject", id: "my-social-window" },
      `${answer.window.label} (${answer.window.from} to ${answer.window.to}) · team ${answer.team || "—"} · ${answer.active ? "active" : "not active"} in this window`),
    barChart({ id: "chart-my-social", title: "Your learning with others", rows, answer, labelHeader: "Measure", valueLabel: "Count" }),
    h("div", { id: "my-gatherings" }, table([
      { label: "Gathering", value: (g) => g.name },
      { label: "Kind", value: (g) => g.kind },
      { label: "Date", value: (g) => g.date },
      { label: "Participants", value: (g) => privateCount(g.participants, answer), numeric: true },
    ], answer.gatherings, { empty: "No gathering in this window." })));
}

/** An Agent as the statements API's `agent` filter takes it (no name: it is not an identifier). */
function strip(agent) {
  const { name, ...rest } = agent;
  return rest;
}

export default { id: "me", title: "Me", view: "progress", audience: "learner", render };
