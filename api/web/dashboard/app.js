// The dashboard's shell: sign-in, the pages this credential may open, the asOf
// picker, and hash routing (#/page?param=value). Each page is a module of its own
// (pages/index.js lists them); the shell shows a page only when the server reports
// its view (GET /views) and the credential's scopes allow it.

import { PAGES } from "./pages/index.js";
import { Api, forgetAuthorization, storeAuthorization, storedAuthorization } from "./lib/api.js";
import { h, message } from "./lib/dom.js";
import { asOfFromInput, basicAuthorization, formatMoment } from "./lib/format.js";

const MANAGER_SCOPES = ["statements/read", "all/read", "all"];

const state = { authorization: null, me: null, views: new Set(), pages: [] };

const main = () => document.getElementById("main");

/** May this credential read every statement of its store (the manager pages)? */
export function readsAll(scopes) {
  return scopes.some((scope) => MANAGER_SCOPES.includes(scope));
}

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  return { id: path, params: new URLSearchParams(query) };
}

/** Go to a page with parameters (the asOf of the picker kept unless given). */
export function go(id, params = {}) {
  const current = route().params;
  const next = new URLSearchParams();
  const asOf = "asOf" in params ? params.asOf : current.get("asOf");
  for (const [name, value] of Object.entries(params)) {
    if (name !== "asOf" && value !== null && value !== undefined && value !== "") next.set(name, value);
  }
  if (asOf) next.set("asOf", asOf);
  const query = next.toString();
  location.hash = `#/${id}${query ? `?${query}` : ""}`;
}

function signInForm(problem) {
  const keyField = h("input", { id: "key", name: "key", autocomplete: "username", required: true });
  const secretField = h("input", { id: "secret", name: "secret", type: "password", autocomplete: "current-password", required: true });
  const tokenField = h("textarea", { id: "token", name: "token", rows: 3, autocomplete: "off" });
  const basicPart = h("fieldset", { id: "basic-part" }, h("legend", {}, "Key and secret"),
    h("label", { for: "key" }, "Key"), keyField, h("label", { for: "secret" }, "Secret"), secretField);
  const tokenPart = h("fieldset", { id: "token-part", hidden: true }, h("legend", {}, "Bearer token"),
    h("label", { for: "token" }, "Token (from your identity provider)"), tokenField);
  const useToken = h("input", { type: "checkbox", id: "use-token" });
  useToken.addEventListener("change", () => {
    basicPart.hidden = useToken.checked;
    tokenPart.hidden = !useToken.checked;
    keyField.required = secretField.required = !useToken.checked;
    tokenField.required = useToken.checked;
  });
  const form = h("form", { id: "sign-in", class: "card sign-in" },
    h("h2", {}, "Sign in"),
    h("p", { class: "note" }, "With an LRS credential. It is kept for this tab only and sent to this server alone."),
    problem ? message("error", problem) : null,
    h("label", { class: "inline" }, useToken, " Sign in with a Bearer token instead"),
    basicPart, tokenPart,
    h("button", { type: "submit", id: "sign-in-button" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const authorization = useToken.checked
      ? `Bearer ${tokenField.value.trim()}`
      : basicAuthorization(keyField.value, secretField.value);
    storeAuthorization(authorization);
    start();
  });
  return form;
}

function showSignIn(problem = null) {
  state.authorization = null;
  document.getElementById("nav").replaceChildren();
  document.getElementById("session").replaceChildren();
  document.getElementById("timebar").hidden = true;
  main().replaceChildren(signInForm(problem));
}

function signOut() {
  forgetAuthorization();
  history.replaceState(null, "", location.pathname);
  showSignIn();
}

function renderChrome() {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...state.pages.map((page) =>
    h("a", { href: `#/${page.id}`, "data-page": page.id }, page.title)));
  const who = state.me.label || state.me.store;
  document.getElementById("session").replaceChildren(
    h("span", { class: "who", title: state.me.scopes.join(" ") }, `${who} · store ${state.me.store}`),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, "Sign out"));
  document.getElementById("timebar").hidden = false;
}

function syncTimebar(asOf) {
  const input = document.getElementById("as-of");
  input.value = asOf ? asOf.replace(/Z$/, "").slice(0, 19) : "";
  document.getElementById("as-of-state").textContent = asOf
    ? `Showing the store as it stood at ${formatMoment(asOf)}`
    : "Showing the present";
}

async function renderPage() {
  if (!state.authorization) return;
  const { id, params } = route();
  const asOf = params.get("asOf");
  syncTimebar(asOf);
  const page = state.pages.find((p) => p.id === id);
  for (const link of document.querySelectorAll("#nav a")) {
    // The links keep the picker's moment: every page then shows the same past.
    link.setAttribute("href", `#/${link.dataset.page}${asOf ? `?asOf=${encodeURIComponent(asOf)}` : ""}`);
    link.classList.toggle("current", link.dataset.page === (page ? page.id : ""));
    if (page && link.dataset.page === page.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!page) {
    const known = PAGES.find((p) => p.id === id);
    if (known) {
      main().replaceChildren(message("error", `${known.title}: this credential may not open this page.`));
      return;
    }
    if (state.pages.length) go(state.pages[0].id);
    else main().replaceChildren(message("error", "This credential may open no page of the dashboard."));
    return;
  }
  const container = h("div", { class: "page", id: `page-${page.id}`, "aria-busy": "true" }, h("h2", { class: "page-title" }, page.title));
  main().replaceChildren(container);
  const api = new Api(state.authorization, asOf);
  try {
    await page.render(container, { api, params, me: state.me, views: state.views, go: (next) => go(page.id, next) });
  } catch (error) {
    if (error.status === 401) return signOut();
    container.append(message("error", error.message));
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}

async function start() {
  const authorization = storedAuthorization();
  if (!authorization) return showSignIn();
  const api = new Api(authorization);
  try {
    const [me, views] = await Promise.all([api.get("/views/me"), api.get("/views")]);
    state.me = me;
    state.views = new Set(views.views.map((view) => view.name));
  } catch (error) {
    forgetAuthorization();
    return showSignIn(error.status === 401 ? `Not signed in: ${error.message}` : error.message);
  }
  state.authorization = authorization;
  const manager = readsAll(state.me.scopes);
  // A page may name the scopes it needs (allowed); else its audience decides.
  state.pages = PAGES.filter((page) => state.views.has(page.view)
    && (page.allowed ? page.allowed(state.me.scopes) : page.audience === "learner" || manager));
  renderChrome();
  renderPage();
}

document.getElementById("as-of-form").addEventListener("submit", (event) => {
  event.preventDefault();
  let asOf = null;
  try {
    asOf = asOfFromInput(document.getElementById("as-of").value);
  } catch (error) {
    document.getElementById("as-of-state").textContent = error.message;
    return;
  }
  go(route().id, { ...Object.fromEntries(route().params), asOf });
});
document.getElementById("as-of-now").addEventListener("click", () => {
  go(route().id, { ...Object.fromEntries(route().params), asOf: null });
});
window.addEventListener("hashchange", renderPage);
start();
