// Pure formatting: values in, text out. No DOM, no network: unit-tested on its own
// (tests/browser/test_dashboard.py imports this module in the page).

const numberFormat = new Intl.NumberFormat("en-US");

/** A count or a measure as text; null/undefined as an em dash. */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number" || Number.isNaN(value)) return String(value);
  if (digits === 0 && Number.isInteger(value)) return numberFormat.format(value);
  return value.toFixed(digits);
}

/** A rate in [0, 1] as a percentage. */
export function formatPercent(rate) {
  if (rate === null || rate === undefined) return "—";
  return `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)} %`;
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

/** An xAPI timestamp (the views' UTC form) as "2026-11-30 17:02:11 UTC". */
export function formatMoment(text) {
  if (!text) return "—";
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(text);
  return match ? `${match[1]} ${match[2]} UTC` : text;
}

/** What a person reads for an Agent or Group: its name, else its identifier. */
export function agentLabel(agent) {
  if (!agent || typeof agent !== "object") return "—";
  if (agent.name) return agent.name;
  if (agent.mbox) return agent.mbox.replace(/^mailto:/, "");
  if (agent.account) return `${agent.account.name} (${agent.account.homePage})`;
  if (agent.openid) return agent.openid;
  if (agent.mbox_sha1sum) return `sha1:${agent.mbox_sha1sum.slice(0, 10)}…`;
  if (Array.isArray(agent.member)) return agent.member.map(agentLabel).join(", ");
  return "anonymous group";
}

/** A language map's text in the first language found of ``languages``, else any. */
export function languageText(map, languages = ["en-US", "en", "en-GB"]) {
  if (!map || typeof map !== "object") return null;
  for (const language of languages) if (map[language]) return map[language];
  const values = Object.values(map);
  return values.length ? values[0] : null;
}

/** A verb as its display, else the last part of its IRI. */
export function verbLabel(verb) {
  if (!verb) return "—";
  return languageText(verb.display) || lastSegment(verb.id);
}

/** A statement's object as its definition's name, else its id. */
export function objectLabel(object) {
  if (!object) return "—";
  if (object.objectType === "Agent" || object.objectType === "Group") return agentLabel(object);
  const name = object.definition ? languageText(object.definition.name) : null;
  return name || object.id || "—";
}

export function lastSegment(iri) {
  if (!iri) return "—";
  const parts = String(iri).split(/[/#]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : String(iri);
}

/**
 * A cell the privacy layer of a view may have suppressed: the server sends
 * {"suppressed": true, "reason": "..."} in place of a value. It is shown as such and
 * never worked out from other numbers.
 */
export function isSuppressed(value) {
  return value !== null && typeof value === "object" && value.suppressed === true;
}

export function cellText(value, digits = 0) {
  if (isSuppressed(value)) return "suppressed";
  return formatNumber(value, digits);
}

/**
 * What the user typed as a learner: an e-mail address, or a JSON Agent as the views'
 * `agent` parameter takes it. Returns the JSON text to send.
 */
export function agentParameter(text) {
  const value = (text || "").trim();
  if (!value) throw new Error("enter an e-mail address or a JSON Agent");
  if (value.startsWith("{")) {
    JSON.parse(value); // throws with the parser's message
    return value;
  }
  if (value.startsWith("mailto:")) return JSON.stringify({ mbox: value });
  if (/^[^@\s]+@[^@\s]+$/.test(value)) return JSON.stringify({ mbox: `mailto:${value}` });
  throw new Error("enter an e-mail address or a JSON Agent");
}

/** An <input type="datetime-local"> value, read as UTC, as an xAPI timestamp. */
export function asOfFromInput(value) {
  if (!value) return null;
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/.exec(value);
  if (!match) throw new Error(`not a date and time: ${value}`);
  return `${match[1]}T${match[2]}${match[3] || ":00"}Z`;
}

/** The HTTP Basic header value for a key and secret (UTF-8, RFC 7617). */
export function basicAuthorization(key, secret) {
  const bytes = new TextEncoder().encode(`${key}:${secret}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * A count the privacy layer may have withheld by sending null (the social and KPI
 * views' disclosure layer hides a count about too few people that way): null in
 * an answer whose ``privacy`` reports suppressed cells is shown as suppressed,
 * never as zero and never worked out.
 */
export function privateCount(value, answer) {
  const privacy = answer && answer.privacy;
  if (value === null && privacy && privacy.suppressedCells > 0) {
    return { suppressed: true, reason: `withheld: a group under ${privacy.minGroupSize} people` };
  }
  return value;
}

/** A KPI figure {value, numerator, denominator} or {suppressed: true}: its value. */
export function figureValue(figure) {
  if (figure === null || figure === undefined) return null;
  if (isSuppressed(figure)) return figure;
  return typeof figure === "object" ? figure.value : figure;
}

/** A point of a KPI series {bucket, value, suppressed?}: its value or the marker. */
export function pointValue(point) {
  return point.suppressed ? { suppressed: true, reason: point.reason || "suppressed by the view's privacy rules" } : point.value;
}

/** "numerator / denominator" of a KPI ratio figure, or null. */
export function ratioText(figure) {
  if (!figure || isSuppressed(figure) || figure.numerator === undefined) return null;
  return `${formatNumber(figure.numerator)} / ${formatNumber(figure.denominator)}`;
}

/**
 * A table's rows as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or
 * line break quoted, quotes doubled). ``columns`` are the table's {label, value(row)};
 * a value that is a DOM node counts as its text, a suppressed cell as "suppressed"
 * (never a number), a missing one as empty. Numbers are written unformatted so a
 * spreadsheet reads them as numbers.
 */
export function csvText(columns, rows) {
  const field = (value) => {
    let text;
    if (value === null || value === undefined) text = "";
    else if (isSuppressed(value)) text = "suppressed";
    else if (typeof value === "object" && "textContent" in value) text = value.textContent;
    else text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [columns.map((c) => field(c.label)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => field(c.value(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** A file name from a title: lower case words joined by hyphens, with the extension. */
export function fileName(title, extension) {
  const stem = String(title).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  return `${stem || "table"}.${extension}`;
}
