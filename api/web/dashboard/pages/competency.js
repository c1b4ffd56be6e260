// Competency (GET /views/competency/...): a learner's profile against a role with
// its gaps and recommendations, a team's heat map, the experts of a competency
// and the knowledge at risk (competencies with too few proficient people).
// competency/read (or all/read, all) sees everything; competency/read/mine sees
// its own profile and gaps only (the server answers 403 to anything else). Every
// number of a profile is explained on request: the cell's evidence with its
// weights, and its history over valid time (GET .../evidence and .../history).

import { barChart, columnChart, heatMap } from "../lib/charts.js";
import { append, downloadableTable, h, message, provenance, section, table } from "../lib/dom.js";
import { agentLabel, agentParameter, formatMoment, formatNumber, formatPercent } from "../lib/format.js";

const WHOLE_STORE = ["competency/read", "all/read", "all"];
const MINE = "competency/read/mine";
export const STATUSES = [
  { key: "proficient", label: "proficient", kind: "proficient" },
  { key: "needsRefresh", label: "needs refresh", kind: "needs-refresh" },
  { key: "developing", label: "developing", kind: "developing" },
  { key: "lapsed", label: "lapsed", kind: "lapsed" },
  { key: "none", label: "no evidence", kind: "none" },
];

export function readsWholeStore(scopes) {
  return scopes.some((scope) => WHOLE_STORE.includes(scope));
}

/** A level in [0, 1] (or null) as a whole percentage, for bars and cells. */
export function levelPercent(level) {
  return level === null || level === undefined ? null : Math.round(level * 100);
}

function level(value) {
  return value === null || value === undefined ? null : formatNumber(value, 2);
}

function status(text) {
  return h("span", { class: `status ${String(text).replace(/\s+/g, "-")}` }, text);
}

/** The Agent the views take as `agent`: without its name (not an identifier). */
function identifier(agent) {
  const { name, objectType, ...rest } = agent || {};
  return JSON.stringify(rest);
}

function select(id, label, options, chosen) {
  const element = h("select", { id, name: id },
    options.map((o) => h("option", { value: o.value, selected: o.value === chosen }, o.label)));
  return { element, field: h("label", { for: id }, label, element) };
}

async function controls(api, params, go, whole) {
  const [roles, teams, frameworks] = await Promise.all([
    api.view("/views/competency/roles"), api.view("/views/competency/teams"), api.view("/views/competency/frameworks")]);
  const trees = whole ? await Promise.all(frameworks.frameworks.filter((f) => !f.retired)
    .map((f) => api.view("/views/competency/frameworks", { framework: f.id }))) : [];
  const competencies = [];
  const walk = (items) => items.forEach((item) => { competencies.push(item); walk(item.children || []); });
  trees.forEach((tree) => walk(tree.items));
  const chosen = {
    role: params.get("role") || (roles.roles[0] || {}).id || "",
    team: params.get("team") || (teams.teams[0] || {}).id || "",
    competency: params.get("competency") || (competencies[0] || {}).iri || "",
    agent: params.get("agent") || "",
    at: params.get("at") || "",
  };
  const role = select("role", "Role", roles.roles.map((r) => ({ value: r.id, label: `${r.name} (${r.requirements} requirements)` })), chosen.role);
  const fields = [role.field];
  let learner = null, team = null, competency = null;
  if (whole) {
    learner = h("input", { id: "agent", name: "agent", value: chosen.agent, placeholder: "ann@example.com", size: 30 });
    team = select("team", "Team", teams.teams.map((t) => ({ value: t.id, label: `${t.name} (${t.members})` })), chosen.team);
    competency = select("competency", "Competency (experts)", competencies.map((c) => ({ value: c.iri, label: c.code ? `${c.code} ${c.name}` : c.name })), chosen.competency);
    fields.unshift(h("label", { for: "agent" }, "Learner (e-mail or JSON Agent)", learner));
    fields.push(team.field, competency.field);
  }
  const at = h("input", { id: "at", name: "at", value: chosen.at, placeholder: "now (or 2026-09-01T00:00:00Z)", size: 26 });
  fields.push(h("label", { for: "at" }, "Evaluated at (valid time)", at));
  const form = h("form", { id: "competency-form", class: "controls" }, ...fields, h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ agent: learner ? learner.value.trim() : null, role: role.element.value, team: team ? team.element.value : null,
         competency: competency ? competency.element.value : null, at: at.value.trim() });
  });
  return { form, chosen, roles, teams, competencies };
}

async function profilePart(api, agent, who, chosen, at, explain) {
  const part = section(`Profile against a role: ${who}`);
  if (!chosen.role) return append(part, message("info", "No role is configured in this store.")) || part;
  const [gaps, profile] = await Promise.all([
    api.view("/views/competency/gaps", { agent, role: chosen.role, at }),
    api.view("/views/competency/profile", { agent, at })]);
  const required = [...gaps.met.map((m) => ({ ...m, met: true })), ...gaps.gaps.map((g) => ({ ...g, met: false }))];
  const recommendations = gaps.gaps.flatMap((g) => g.recommendations.map((r) => ({ ...r, gap: g.name || g.competency })));
  append(part,
    h("p", { class: "subject" }, `Role: ${gaps.role.name} · evaluated at ${formatMoment(gaps.at)}`),
    h("div", { class: "tiles" },
      h("div", { class: "tile", id: "readiness" }, h("span", { class: "tile-value" }, formatPercent(gaps.readiness)), h("span", { class: "tile-label" }, "readiness for the role")),
      h("div", { class: "tile", id: "gap-count" }, h("span", { class: "tile-value" }, formatNumber(gaps.gaps.length)), h("span", { class: "tile-label" }, "gaps")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, formatNumber(gaps.met.length)), h("span", { class: "tile-label" }, "requirements met"))),
    barChart({ id: "chart-role-levels", title: "Level against the role's requirement (%)", answer: gaps, labelHeader: "Competency", valueLabel: "Level (%)",
      rows: required.map((r) => ({ label: r.name || r.competency, value: levelPercent(r.level), kind: r.met ? "passed" : "failed" })) }),
    h("div", { id: "role-requirements" }, downloadableTable("Role requirements", [
      { label: "Competency", value: (r) => h("span", { title: r.competency }, r.name || r.competency) },
      { label: "Importance", value: (r) => r.importance },
      { label: "Required", value: (r) => level(r.required), numeric: true },
      { label: "Level", value: (r) => level(r.level), numeric: true },
      { label: "Confidence", value: (r) => level(r.confidence), numeric: true },
      { label: "Met", value: (r) => (r.met ? "met" : `gap: ${r.gapType}`) },
      { label: "Gap", value: (r) => (r.met ? null : level(r.gap)), numeric: true },
    ], required, gaps, { empty: "The role has no requirements." })),
    h("h3", {}, "Recommended next activities"),
    h("div", { id: "recommendations" }, table([
      { label: "For the gap", value: (r) => r.gap },
      { label: "Activity", value: (r) => h("span", { class: "mono" }, r.activity) },
      { label: "Alignment", value: (r) => r.alignment },
      { label: "Pass rate", value: (r) => (r.passRate === null ? null : formatPercent(r.passRate)), numeric: true },
      { label: "Why", value: (r) => h("ul", { class: "why" }, r.why.map((w) => h("li", {}, w))) },
    ], recommendations, { empty: "No recommendation: no gap, or no aligned activity." })),
    provenance(gaps),
    h("h3", {}, "All competencies with evidence"),
    h("div", { id: "profile" }, downloadableTable("Competency profile", [
      { label: "Code", value: (c) => c.code || "" },
      { label: "Competency", value: (c) => c.name },
      { label: "Status", value: (c) => status(c.status) },
      { label: "Level", value: (c) => level(c.level), numeric: true },
      { label: "Label", value: (c) => c.label || "" },
      { label: "Confidence", value: (c) => level(c.confidence), numeric: true },
      { label: "Evidence", value: (c) => h("button", { type: "button", class: "link explain", "data-competency": c.iri,
        title: "Show this cell's evidence with its weights, and its history", onclick: () => explain(c.iri) },
        `${formatNumber(c.evidenceCount)} · explain`), numeric: true },
      { label: "Last evidence", value: (c) => formatMoment(c.lastEvidenceAt) },
    ], profile.competencies, profile, { empty: "No competency evidence yet." })),
    provenance(profile));
  return part;
}

/** One cell explained: the numbers, the evidence behind them with weights, and its history. */
async function evidencePart(api, agent, who, iri, at) {
  const [answer, history] = await Promise.all([
    api.view("/views/competency/evidence", { agent, competency: iri, at }),
    api.view("/views/competency/history", { agent, competency: iri, at })]);
  const cell = answer.cell;
  const part = section(`Evidence: ${who}`);
  part.id = "evidence";
  const params = cell.params || {};
  append(part,
    h("p", { class: "subject mono" }, iri),
    h("div", { class: "tiles" },
      h("div", { class: "tile", id: "evidence-level" }, h("span", { class: "tile-value" }, cell.level === undefined ? "–" : level(cell.level)), h("span", { class: "tile-label" }, "level")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, cell.confidence === undefined ? "–" : level(cell.confidence)), h("span", { class: "tile-label" }, "confidence")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, cell.status ? status(cell.status) : "none"), h("span", { class: "tile-label" }, "status")),
      h("div", { class: "tile" }, h("span", { class: "tile-value" }, cell.massLast === undefined ? "–" : formatNumber(cell.massLast, 2)), h("span", { class: "tile-label" }, "evidence mass"))),
    h("p", { class: "note" }, `Proficient from level ${params.theta} with confidence ${params.cMin}; the level's half-life is ${params.hLevelDays} days and confidence's ${params.hConfDays} days.`),
    h("div", { id: "evidence-list" }, downloadableTable("Competency evidence", [
      { label: "Time", value: (e) => formatMoment(e.time) },
      { label: "Activity", value: (e) => h("span", { class: "mono" }, e.activity || "") },
      { label: "Kind", value: (e) => e.kind },
      { label: "Score", value: (e) => level(e.score), numeric: true },
      { label: "Weight", value: (e) => level(e.weight), numeric: true },
      { label: "Recency weight", value: (e) => (e.recencyWeight === undefined ? null : level(e.recencyWeight)), numeric: true },
      { label: "Counts", value: (e) => (e.active ? "yes" : e.supersededBy ? `no: superseded by ${e.supersededBy}` : "no") },
      { label: "Found at", value: (e) => h("span", { class: "mono" }, e.path) },
      { label: "Statement", value: (e) => h("span", { class: "mono" }, e.statement) },
    ], answer.evidence, answer, { empty: "No evidence for this competency up to this instant." })),
    provenance(answer),
    columnChart({ id: "chart-history", title: "Level over valid time (%)", answer: history, labelHeader: "At", valueLabel: "Level (%)",
      rows: history.points.map((p) => ({ label: formatMoment(p.at), shortLabel: p.at.slice(0, 10), value: levelPercent(p.level) })) }),
    h("div", { id: "history" }, table([
      { label: "At", value: (p) => formatMoment(p.at) },
      { label: "Status", value: (p) => status(p.status) },
      { label: "Level", value: (p) => level(p.level), numeric: true },
      { label: "Confidence", value: (p) => level(p.confidence), numeric: true },
    ], history.points, { caption: "History", empty: "No history." })));
  return part;
}

async function teamPart(api, chosen, at) {
  const part = section("Team heat map");
  if (!chosen.team || !chosen.role) return append(part, message("info", "A team and a role are needed.")) || part;
  const answer = await api.view("/views/competency/heatmap", { team: chosen.team, role: chosen.role, at });
  const rows = answer.rows.map((r) => ({ ...r, label: r.name || r.competency }));
  append(part,
    h("p", { class: "subject" }, `Team ${answer.team}: ${formatNumber(answer.members)} members × the role's competencies`),
    h("p", { class: "legend" }, STATUSES.map((s) => h("span", {}, status(s.label)))),
    heatMap({ id: "chart-heatmap", title: "Members by status, per competency", rows, columns: STATUSES, answer, total: () => answer.members }),
    h("div", { id: "heatmap-levels" }, table([
      { label: "Competency", value: (r) => r.label },
      { label: "Mean level", value: (r) => level(r.meanLevel), numeric: true },
    ], rows)));
  return part;
}

async function expertsPart(api, chosen, competencies, at) {
  const part = section("Experts");
  if (!chosen.competency) return append(part, message("info", "No competency framework is imported.")) || part;
  const answer = await api.view("/views/competency/experts", { competency: chosen.competency, at, limit: 10 });
  const name = (competencies.find((c) => c.iri === answer.competency) || {}).name || answer.competency;
  append(part,
    barChart({ id: "chart-experts", title: `Who can help with “${name}” (expert score, %)`, answer, labelHeader: "Person", valueLabel: "Score (%)",
      rows: answer.experts.map((e) => ({ label: agentLabel(e.agent), value: levelPercent(e.score), kind: "passed" })) }),
    h("div", { id: "experts" }, downloadableTable("Experts", [
      { label: "Person", value: (e) => agentLabel(e.agent) },
      { label: "Level", value: (e) => level(e.level), numeric: true },
      { label: "Confidence", value: (e) => level(e.confidence), numeric: true },
      { label: "Score", value: (e) => level(e.score), numeric: true },
      { label: "Evidence", value: (e) => e.evidenceCount, numeric: true },
      { label: "Last evidence", value: (e) => formatMoment(e.lastEvidenceAt) },
    ], answer.experts, answer, { empty: "Nobody is proficient in it yet." })));
  return part;
}

async function riskPart(api, chosen, params, at) {
  const part = section("Knowledge at risk");
  if (!chosen.role) return part;
  const minExperts = Number(params.get("minExperts") || 2);
  const answer = await api.view("/views/competency/coverage", { role: chosen.role, minExperts, at });
  append(part,
    h("p", { class: "subject", id: "coverage-summary" },
      `${formatNumber(answer.atRisk.length)} of ${formatNumber(answer.competencies)} competencies of the role have fewer than ${formatNumber(answer.minExperts)} proficient people.`),
    barChart({ id: "chart-coverage", title: "Proficient people per competency at risk", answer, labelHeader: "Competency", valueLabel: "Proficient people",
      rows: answer.atRisk.map((r) => ({ label: r.name || r.competency, value: r.proficient, kind: "failed" })) }),
    h("div", { id: "coverage" }, downloadableTable("Knowledge at risk", [
      { label: "Competency", value: (r) => r.name || r.competency },
      { label: "Proficient", value: (r) => r.proficient, numeric: true },
      { label: "Who", value: (r) => r.experts.map(agentLabel).join(", ") },
    ], answer.atRisk, answer, { empty: "No competency of the role is at risk." })));
  return part;
}

async function render(container, { api, params, me, go }) {
  const whole = readsWholeStore(me.scopes);
  const { form, chosen, competencies } = await controls(api, params, go, whole);
  // The valid-time instant: the form's, else the picker's moment, else now.
  // (asOf may also be a log position, which is no instant: then now.)
  const at = chosen.at || (api.asOf && !/^\d+$/.test(api.asOf) ? api.asOf : null);
  container.append(section("Show", form));
  let agent = null, who = "";
  if (whole && chosen.agent) {
    try {
      agent = agentParameter(chosen.agent);
      who = chosen.agent;
    } catch (error) {
      container.append(message("error", error.message));
    }
  } else if (!whole) {
    agent = identifier(me.learner);
    who = `you (${agentLabel(me.learner)})`;
  }
  const explain = (iri) => go({ agent: chosen.agent || null, role: chosen.role, team: chosen.team || null,
    competency: chosen.competency || null, at: chosen.at || null, evidence: iri });
  const explained = params.get("evidence");
  const parts = [agent ? profilePart(api, agent, who, chosen, at, explain)
    : Promise.resolve(section("Profile against a role", message("info", "Enter a learner to see their profile against the role.")))];
  if (agent && explained) parts.push(evidencePart(api, agent, who, explained, at));
  if (whole) parts.push(teamPart(api, chosen, at), expertsPart(api, chosen, competencies, at), riskPart(api, chosen, params, at));
  container.append(...(await Promise.all(parts)));
}

export default {
  id: "competency", title: "Competency", view: "competency", audience: "manager", render,
  allowed: (scopes) => readsWholeStore(scopes) || scopes.includes(MINE),
};
