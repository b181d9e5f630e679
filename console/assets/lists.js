// Lists: each configured list's health, its invalid lines, refresh now.
import { get, post } from './api.js';
import { h, card, table, fmt, ago, toast } from './dom.js';
import { every } from './poll.js';

export function render(main, ctx) {
  main.append(h('h1', {}, 'Lists'));
  const bar = h('p', { class: 'row' });
  const body = h('div', { id: 'lists' });
  main.append(bar, body);
  const draw = async () => {
    const st = await get('status');
    const rows = st.lists.map((l) => h('tr', { 'data-list': l.name },
      h('td', {}, h('code', {}, l.name), h('div', { class: 'muted' }, l.kind || '')),
      h('td', { class: 'n entries' }, fmt.format(l.entries)),
      h('td', {}, l.loaded ? h('span', { class: 'ok' }, l.from_store ? 'loaded (disk copy)' : 'loaded') : h('span', { class: 'warn' }, 'not loaded')),
      h('td', { class: 'hide-narrow' }, ago(l.last_success)),
      h('td', { class: 'last-error' }, l.last_error ? h('span', { class: 'error' }, l.last_error) : '–',
        l.warning ? h('div', { class: 'warn' }, l.warning) : ''),
      h('td', { class: 'n' }, fmt.format(l.skipped || 0)),
      h('td', {}, fmt.format(l.invalid || 0), (l.invalid_lines || []).map((il) =>
        h('div', { class: 'muted' }, 'line ' + il.line + ': ', h('code', {}, il.text), ' (' + il.reason + ')')))));
    body.replaceChildren(card('', table(['list', 'entries', 'state', h('span', { class: 'hide-narrow' }, 'last success'), 'last error', 'skipped', 'invalid'], rows, 'No lists configured.')),
      card('Adding lists', h('p', {}, 'Lists are added in the config file under blocking.lists (a builtin:NAME, a file or an https:// URL) and picked up on reload. Adding them here needs the runtime settings store, which this version does not have yet.')));
  };
  if (ctx.admin) {
    const b = h('button', { type: 'button', class: 'primary', id: 'refresh-lists' }, 'Refresh all lists now');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try { await post('lists/refresh'); toast('Lists refreshed.'); } catch (e) { toast('Refresh failed: ' + e.message); }
      b.disabled = false;
      draw();
    });
    bar.append(b);
  }
  return every(15000, draw);
}
