// Talking to this LRS with the signed-in credential. The credential travels in the
// Authorization header only, never in a URL; it is kept in sessionStorage, which
// lasts as long as the tab and is never sent anywhere by the browser itself.

const STORAGE_KEY = "lrs-dashboard-authorization";
const XAPI_VERSION = "1.0.3";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function storedAuthorization() {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeAuthorization(value) {
  sessionStorage.setItem(STORAGE_KEY, value);
}

export function forgetAuthorization() {
  sessionStorage.removeItem(STORAGE_KEY);
}

export class Api {
  constructor(authorization, asOf = null) {
    this.authorization = authorization;
    this.asOf = asOf;
  }

  /** GET a view (``asOf`` added when the picker holds a moment): the parsed JSON. */
  async view(path, params = {}) {
    const query = { ...params };
    if (this.asOf) query.asOf = this.asOf;
    return this.get(path, query);
  }

  async get(path, params = {}) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
    }
    const url = query.toString() ? `${path}?${query}` : path;
    const response = await fetch(url, {
      headers: { Authorization: this.authorization, "X-Experience-API-Version": XAPI_VERSION, Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      const reason = body && body.message ? body.message : `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, reason);
    }
    return body;
  }
}

/** The file name of a Content-Disposition header (attachment; filename="..."), or null. */
export function attachmentName(header) {
  const match = /filename="([^"]+)"/.exec(header || "");
  return match ? match[1] : null;
}

/**
 * Save a view's answer in another format as a file: fetched with the credential
 * in its header (never in a URL), then handed to the browser as a blob.
 */
export async function download(api, path, params, accept, fallbackName) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...params, ...(api.asOf ? { asOf: api.asOf } : {}) })) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  const response = await fetch(query.toString() ? `${path}?${query}` : path, {
    headers: { Authorization: api.authorization, "X-Experience-API-Version": XAPI_VERSION, Accept: accept },
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    let reason = `${response.status} ${response.statusText}`;
    try {
      reason = (await response.json()).message || reason;
    } catch {
      // not JSON: the status says it
    }
    throw new ApiError(response.status, reason);
  }
  const blob = await response.blob();
  const name = attachmentName(response.headers.get("Content-Disposition")) || fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { name, size: blob.size, position: response.headers.get("X-LRS-Position") };
}
