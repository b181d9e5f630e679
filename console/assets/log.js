// Query log: search, live tail, the reason of every answer, and allow (with
// undo) from a row.
import { get, post, del } from './api.js';
import { h, table, time, toast } from './dom.js';
import { every } from './poll.js';

const RESULTS = ['', 'blocked', 'forwarded', 'cached', 'local', 'refused', 'ratelimited', 'servfail', 'dropped'];
const SINCE = [['15m', '15 min'], ['1h', '1 hour'], ['24h', '24 hours'], ['168h', '7 days']];

function reason(r) {
  if (r.result === 'blocked') {
    return [h('span', { class: 'blocked' }, 'blocked'), ' by ', h('code', {}, r.list || '?'),
      r.rule ? [' rule ', h('code', {}, r.rule)] : '', r.reason ? ' (' + r.reason + ')' : ''];
  }
  const parts = [r.result];
  if (r.upstream) parts.push(' via ', h('code', {}, r.upstream));
  if (r.list) parts.push(' (exception in ', h('code', {}, r.list), ')');
  if (r.reason) parts.push(' (' + r.reason + ')');
  return parts;
}

function ms(ns) { return ns >= 1e6 ? (ns / 1e6).toFixed(1) + ' ms' : Math.round(ns / 1e3) + ' µs'; }

// actionButton asks for confirmation in the row itself, then offers undo:
// Allow puts the name in the runtime allow list, Block in the deny list.
function actionButton(kind, r, cell, refresh) {
  const name = r.name.replace(/\.$/, '');
  const [label, path, done, undone] = kind === 'allow'
    ? ['Allow', 'allow', 'Allowed ' + name + ' for everyone.', name + ' is blocked again.']
    : ['Block', 'deny', 'Blocked ' + name + ' for everyone.', name + ' is no longer blocked.'];
  const ask = h('button', { type: 'button', class: kind, 'aria-label': label + ' ' + name }, label);
  ask.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'primary confirm', 'aria-label': 'Confirm ' + label.toLowerCase() + ' ' + name }, label + ' ' + name + '?');
    const no = h('button', { type: 'button' }, 'Cancel');
    yes.addEventListener('click', async () => {
      try {
        await post(path, { name });
        toast(done, ['Undo', async () => {
          await del(path, { name }).then(() => toast('Undone: ' + undone), (e) => toast('Undo failed: ' + e.message));
          refresh();
        }]);
      } catch (e) { toast(label + ' failed: ' + e.message); }
      refresh();
    });
    no.addEventListener('click', () => cell.replaceChildren(ask));
    cell.replaceChildren(yes, no);
    yes.focus();
  });
  return ask;
}

function whyButton(r, cell) {
  const b = h('button', { type: 'button', class: 'why' }, 'Why?');
  b.addEventListener('click', async () => {
    try {
      const ex = await get('explain', { name: r.name, client: r.client, client_id: r.client_id });
      cell.replaceChildren(h('span', { class: 'explain' }, ex.text,
        ex.group_reason ? h('div', { class: 'muted group-why' }, 'in group ' + ex.group + ': ' + ex.group_reason) : ''));
    } catch (e) { cell.replaceChildren(h('span', { class: 'error' }, e.message)); }
  });
  return b;
}

export function render(main, ctx) {
  const p = ctx.params;
  const f = {
    client: h('input', { name: 'client', id: 'f-client', value: p.get('client') || '', placeholder: '192.168.1.10', size: 14 }),
    clientID: h('input', { name: 'client_id', id: 'f-client-id', value: p.get('client_id') || '', placeholder: 'annas-phone', size: 12 }),
    name: h('input', { name: 'name', id: 'f-name', value: p.get('name') || '', placeholder: 'part of a name', size: 16 }),
    result: h('select', { name: 'result', id: 'f-result' }, RESULTS.map((r) => h('option', { value: r, selected: r === (p.get('result') || '') }, r || 'any'))),
    since: h('select', { name: 'since', id: 'f-since' }, SINCE.map(([v, l]) => h('option', { value: v, selected: v === (p.get('since') || '1h') }, l))),
    live: h('input', { type: 'checkbox', id: 'f-live' }),
  };
  const lab = (text, el) => h('label', {}, text, el);
  const form = h('form', { class: 'filters', role: 'search' },
    lab('Client', f.client), lab('Client ID', f.clientID), lab('Name', f.name), lab('Result', f.result), lab('Since', f.since),
    h('button', { class: 'primary', type: 'submit' }, 'Search'),
    h('label', { class: 'switch' }, f.live, 'Live'));
  const out = h('div', { id: 'log-results' });
  main.append(h('h1', {}, 'Query log'), form, out);

  const search = async () => {
    const data = await get('querylog', {
      client: f.client.value.trim(), client_id: f.clientID.value.trim().toLowerCase(), name: f.name.value.trim().toLowerCase(), result: f.result.value, since: f.since.value, limit: 200,
    });
    const rows = data.records.map((r) => {
      const act = h('td', {});
      if (ctx.admin && r.result === 'blocked') act.append(actionButton('allow', r, act, search));
      else if (ctx.admin && r.name) act.append(actionButton('block', r, act, search));
      act.append(' ', whyButton(r, act));
      return h('tr', { class: 'rec', 'data-name': r.name },
        h('td', {}, time(r.time)), h('td', { class: 'client' }, r.client, r.client_id ? h('div', { class: 'client-id' }, h('code', {}, 'id:' + r.client_id)) : ''),
        h('td', {}, h('code', {}, r.name)),
        h('td', { class: 'hide-narrow' }, r.type), h('td', { class: 'reason' }, reason(r)),
        h('td', { class: 'hide-narrow group' }, r.group || '', r.group_reason && r.group_by !== 'default' ? h('div', { class: 'muted group-why' }, r.group_reason) : ''),
        h('td', { class: 'n hide-narrow' }, ms(r.duration_ns)), act);
    });
    out.replaceChildren(h('p', { class: 'muted', id: 'log-count' }, data.records.length + ' records, newest first'),
      table(['time', 'client', 'name', h('span', { class: 'hide-narrow' }, 'type'), 'reason',
        h('span', { class: 'hide-narrow' }, 'group'), h('span', { class: 'hide-narrow' }, 'took'), ''], rows, 'No queries match.'));
  };
  let stopLive = () => {};
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search().catch((e) => out.replaceChildren(h('p', { class: 'error' }, e.message))); });
  f.live.addEventListener('change', () => {
    stopLive();
    stopLive = f.live.checked ? every(2000, search) : () => {};
  });
  search().catch((e) => out.replaceChildren(h('p', { class: 'error' }, e.message)));
  return () => stopLive();
}
