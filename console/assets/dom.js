// Small DOM helpers: every text goes in through textContent, never HTML.

// h builds an element: h('td', {class: 'n'}, 'text', child, ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// md renders the README's Markdown-lite (`code` and **bold**) as nodes.
export function md(text) {
  const out = [];
  for (const part of String(text).split(/(\*\*[^*]+\*\*)/)) {
    const bold = part.startsWith('**') && part.endsWith('**');
    const inner = bold ? part.slice(2, -2) : part;
    const nodes = inner.split(/(`[^`]+`)/).map((s) =>
      s.startsWith('`') && s.endsWith('`') ? h('code', {}, s.slice(1, -1)) : s);
    out.push(bold ? h('strong', {}, nodes) : nodes);
  }
  return out.flat();
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, children);
}

export function table(headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || 'Nothing yet.');
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
}

export const fmt = new Intl.NumberFormat();

export function pct(part, whole) {
  return whole ? (100 * part / whole).toFixed(1) + ' %' : '–';
}

export function ago(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}

// left says how long until iso, as "12:04" or "3 h 5 min".
export function left(iso) {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  if (s >= 3 * 86400) return 'until resumed';
  if (s >= 3600) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

export function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

let toastTimer;
// toast says what happened; action, when given, is [label, fn] (an undo).
export function toast(text, action) {
  const t = document.getElementById('toast');
  t.replaceChildren(h('span', {}, text));
  if (action) {
    t.append(h('button', { type: 'button', onclick: () => { t.hidden = true; action[1](); } }, action[0]));
  }
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, action ? 10000 : 4000);
}

// logLink is the query log's address for a top client's key: a client ID
// ("id:NAME") searches by ID, anything else by address; extra adds filters.
export function logLink(key, extra) {
  const id = key.startsWith('id:') ? key.slice(3) : '';
  return '#log?' + (id ? 'client_id=' + encodeURIComponent(id) : 'client=' + encodeURIComponent(key)) + (extra || '');
}
