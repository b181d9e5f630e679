// The console's only way to the server: the documented API under /api/v1.
// The session cookie travels by itself (same origin); no secret is ever
// put in a URL.

export class APIError extends Error {
  // data is the answer's JSON, for errors that carry more than a message
  // (PUT /rules names every bad line).
  constructor(status, message, data) { super(message); this.status = status; this.data = data; }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

// api calls METHOD /api/v1/PATH with query params and an optional JSON body.
export async function api(method, path, params, body) {
  const url = new URL('/api/v1/' + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== '' && v != null) url.searchParams.set(k, v);
  }
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url, init);
  let data = null;
  try { data = await resp.json(); } catch { /* empty body */ }
  if (!resp.ok) {
    if (resp.status === 401 && path !== 'session') onUnauthorized();
    throw new APIError(resp.status, (data && data.error) || resp.statusText, data);
  }
  return data;
}

export const get = (path, params) => api('GET', path, params);
export const post = (path, params, body) => api('POST', path, params, body);
export const del = (path, params) => api('DELETE', path, params);
export const put = (path, params, body) => api('PUT', path, params, body);
