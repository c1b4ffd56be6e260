// Social learning (GET /views/social/...): who learns with whom at team level —
// the team network, the teams that learn in isolation, contributions by reach —
// and, with the views/social/identified scope in identified mode, the person-level
// graph under the pseudonymous ids the view gives. Every number is the view's
// after its privacy layer: a hidden cell is shown as suppressed, never worked out.

import { barChart, networkChart } from "../lib/charts.js";
import { append, downloadableTable, h, message, provenance, section, table } from "../lib/dom.js";
import { formatMoment, formatNumber, formatPercent, isSuppressed, privateCount } from "../lib/format.js";

const IDENTIFIED = "views/social/identified";

function tile(id, label, value) {
  return h("div", { class: "tile", id },
    h("span", { class: "tile-value" }, isSuppressed(value) ? "suppressed" : formatNumber(value)),
    h("span", { class: "tile-label" }, label));
}

function share(value) {
  return isSuppressed(value) ? value : value === null || value === undefined ? null : formatPercent(value);
}

function shareText(value) {
  return isSuppressed(value) ? "suppressed" : share(value) || "—";
}

/** Where the answer's privacy layer stands: its mode, threshold and hidden cells. */
export function privacyNote(answer) {
  const p = answer.privacy || {};
  return h("p", { class: "note privacy", "data-suppressed": p.suppressedCells },
    `Privacy: ${p.mode} mode, groups under ${p.minGroupSize} people hidden; ${p.suppressedCells} cell(s) suppressed in this answer.`);
}

/**
 * Teams with no tie to another team in the answer (no shared gathering, reply or
 * mentoring across teams). A suppressed team is left out: its ties may be hidden.
 */
export function isolatedTeams(teams, ties) {
  const tied = new Set(ties.flatMap((t) => [t.a, t.b]));
  return teams.filter((t) => !t.suppressed && !tied.has(t.team));
}

function windowForm(params, go, answer) {
  const input = h("input", { id: "social-window", name: "window", value: params.get("window") || "", placeholder: "2026-Q3, 2026-W27, 2026-07", size: 18 });
  const form = h("form", { id: "social-window-form", class: "query" },
    h("label", { for: "social-window" }, "Window "), input, h("button", { type: "submit" }, "Show"),
    h("span", { class: "note", id: "social-window-shown" }, `${answer.window.label}: ${answer.window.from} to ${answer.window.to} (${answer.window.timezone})`));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ window: input.value.trim() });
  });
  return form;
}

function teamsPart(answer) {
  const isolated = isolatedTeams(answer.teams, answer.ties);
  const nodes = answer.teams.map((t) => ({
    id: t.team, label: t.team, size: t.suppressed ? t : t.activeMembers,
    kind: isolated.includes(t) ? "isolated" : "",
  }));
  const teamColumns = [
    { label: "Team", value: (t) => t.team },
    { label: "Active members", value: (t) => (t.suppressed ? t : t.activeMembers), numeric: true },
    { label: "Social share", value: (t) => (t.suppressed ? t : share(t.socialShare)), numeric: true },
    { label: "Internal density", value: (t) => (t.suppressed ? t : share(t.internalDensity)), numeric: true },
    { label: "Members bridging 3+ teams", value: (t) => (t.suppressed ? t : privateCount(t.membersBridging3Plus, answer)), numeric: true },
  ];
  const tieColumns = [
    { label: "Team", value: (t) => t.a }, { label: "Team", value: (t) => t.b },
    { label: "Shared gatherings", value: (t) => privateCount(t.sharedGatherings, answer), numeric: true },
    { label: "Pairs", value: (t) => privateCount(t.pairs, answer), numeric: true },
    { label: "Weight (Newman)", value: (t) => (t.newmanWeight === null ? null : formatNumber(t.newmanWeight, 3)), numeric: true },
  ];
  return section("Team network",
    privacyNote(answer),
    networkChart({ id: "chart-team-network", title: "Teams (circle: active members) and the ties between them (line: Newman weight)",
      nodes, edges: answer.ties.map((t) => ({ a: t.a, b: t.b, weight: t.newmanWeight })), answer,
      tables: [table(teamColumns, answer.teams, { caption: "Teams" }), table(tieColumns, answer.ties, { caption: "Ties between teams", empty: "No ties between teams." })] }),
    h("div", { id: "social-teams" }, table(teamColumns, answer.teams, { empty: "No active team in this window." })),
    h("h3", {}, "Isolated teams"),
    h("p", { class: "note" }, "Teams with no tie to another team in this window (suppressed teams are not judged: their ties may be hidden)."),
    h("div", { id: "isolated-teams" }, downloadableTable("Isolated teams", [
      { label: "Team", value: (t) => t.team },
      { label: "Active members", value: (t) => t.activeMembers, numeric: true },
      { label: "Social share", value: (t) => share(t.socialShare), numeric: true },
    ], isolated, answer, { empty: "Every team learns with another one." })),
    h("h3", {}, "Ties between teams"),
    h("div", { id: "social-ties" }, table(tieColumns, answer.ties, { empty: "No ties between teams." })),
    provenance(answer));
}

function contributionsPart(answer) {
  const rows = answer.artifacts.map((a) => ({ ...a, label: a.name || a.artifact }));
  return section("Contributions by reach",
    privacyNote(answer),
    barChart({ id: "chart-contributions", title: "Distinct people reached per artifact", answer, labelHeader: "Artifact", valueLabel: "People reached",
      rows: rows.map((r) => ({ label: r.label, value: privateCount(r.distinctConsumers, answer) })) }),
    h("div", { id: "contributions" }, downloadableTable("Contributions by reach", [
      { label: "Artifact", value: (a) => h("span", { title: a.artifact }, a.label) },
      { label: "Kind", value: (a) => a.kind },
      { label: "Authored", value: (a) => formatMoment(a.authoredAt) },
      ...(rows.some((a) => a.author) ? [{ label: "Author", value: (a) => a.author || "—" }] : []),
      { label: "People reached", value: (a) => privateCount(a.distinctConsumers, answer), numeric: true },
      { label: "Teams reached", value: (a) => privateCount(a.teamsReached, answer), numeric: true },
    ], rows, answer, { empty: "Nothing shared in this window." })),
    answer.total > rows.length ? message("info", `The first ${rows.length} of ${answer.total} artifacts.`) : null,
    provenance(answer));
}

async function graphPart(api, windowLabel) {
  let answer;
  try {
    answer = await api.view("/views/social/graph", { window: windowLabel, kinds: "co_participation,reply,mentor" });
  } catch (error) {
    if (error.status === 403) return section("People network", message("info", error.message));
    throw error;
  }
  // Only the pseudonymous ids the view gives: no names on the picture.
  const nodes = answer.nodes.slice(0, 80).map((n) => ({ id: n.id, label: n.id, size: n.degree }));
  return section("People network (pseudonymous)",
    privacyNote(answer),
    networkChart({ id: "chart-people-network", title: "People (circle: degree) and their ties", nodes,
      edges: answer.edges.map((e) => ({ a: e.source, b: e.target, weight: e.weight })), answer, radius: [3, 9], labels: false,
      tables: [table([
        { label: "Id", value: (n) => h("span", { class: "mono" }, n.id) }, { label: "Team", value: (n) => n.team },
        { label: "Degree", value: (n) => n.degree, numeric: true }, { label: "Bridging", value: (n) => n.bridging, numeric: true },
      ], answer.nodes, { caption: "People" })] }),
    answer.nodes.length > nodes.length ? message("info", `The picture shows the first ${nodes.length} of ${answer.nodes.length} people; the table lists all.`) : null);
}

async function render(container, { api, params, go, me }) {
  const windowLabel = params.get("window") || null;
  const [overview, teams, contributions] = await Promise.all([
    api.view("/views/social/overview", { window: windowLabel }),
    api.view("/views/social/teams", { window: windowLabel }),
    api.view("/views/social/contributions", { window: windowLabel, limit: 50 })]);
  const o = overview;
  container.append(
    windowForm(params, go, overview),
    h("div", { class: "tiles" },
      tile("social-active", "active learners", privateCount(o.activeLearners, o)),
      tile("social-social", `learned with others (${shareText(o.socialLearners.share)})`, privateCount(o.socialLearners.n, o)),
      tile("social-isolated", `learned only alone (${shareText(o.isolatedLearners.share)})`, privateCount(o.isolatedLearners.n, o)),
      tile("social-gatherings", "gatherings", privateCount(o.gatherings.n, o)),
      tile("social-authors", "authors of shared artifacts", privateCount(o.knowledgeSharing.authors, o))),
    h("p", { class: "note" }, provenance(o).textContent),
    teamsPart(teams),
    contributionsPart(contributions));
  // The person-level graph: only in identified mode, with the scope (else the view says 403).
  if (me.scopes.includes(IDENTIFIED) && o.privacy.mode === "identified") append(container, await graphPart(api, windowLabel));
}

export default { id: "social", title: "Social learning", view: "social", audience: "manager", render };
