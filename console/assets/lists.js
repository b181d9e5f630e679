// Lists: each configured list's health, its invalid lines, refresh now;
// add a list (URL, file or a preset) to a group, or switch one off.
import { get, post } from './api.js';
import { h, card, table, fmt, ago, toast } from './dom.js';
import { every } from './poll.js';

// PRESETS are well-known public lists; each is downloaded only when added.
const PRESETS = [
  ['HaGeZi Multi NORMAL', 'https://raw.githubusercontent.com/hagezi/dns-blocklists/main/adblock/multi.txt'],
  ['OISD small', 'https://small.oisd.nl/'],
  ['StevenBlack hosts', 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts'],
  ['AdGuard DNS filter', 'https://adguardteam.github.io/AdGuardSDNSFilter/Filters/filter.txt'],
];

async function setList(group, list, on) {
  try {
    // The source goes in the body: a URL's token stays out of the request line.
    await post('settings/lists', { group, on }, { list });
    toast((on ? 'Added ' : 'Switched off ') + list + ' for ' + group + '.');
    return true;
  } catch (e) { toast('Failed: ' + e.message); return false; }
}

export function render(main, ctx) {
  main.append(h('h1', {}, 'Lists'));
  const bar = h('p', { class: 'row' });
  const body = h('div', { id: 'lists' });
  const add = h('div', { id: 'add-list' });
  main.append(bar, body, add);
  let drawnAdd = false;
  const draw = async () => {
    const st = await get('status');
    const inGroups = (name) => st.groups.filter((g) => g.lists.includes(name));
    const rows = st.lists.map((l) => h('tr', { 'data-list': l.name },
      h('td', {}, h('code', {}, l.name), h('div', { class: 'muted' }, l.kind || ''),
        st.groups.some((g) => g.origins && g.origins[l.name]) ? h('div', { class: 'muted' }, 'added in the console') : ''),
      h('td', { class: 'n entries' }, fmt.format(l.entries)),
      h('td', {}, l.loaded ? h('span', { class: 'ok' }, l.from_store ? 'loaded (disk copy)' : 'loaded') : h('span', { class: 'warn' }, 'not loaded')),
      h('td', { class: 'hide-narrow' }, ago(l.last_success)),
      h('td', { class: 'last-error' }, l.last_error ? h('span', { class: 'error' }, l.last_error) : '–',
        l.warning ? h('div', { class: 'warn' }, l.warning) : ''),
      h('td', { class: 'n' }, fmt.format(l.skipped || 0)),
      h('td', {}, fmt.format(l.invalid || 0), (l.invalid_lines || []).map((il) =>
        h('div', { class: 'muted' }, 'line ' + il.line + ': ', h('code', {}, il.text), ' (' + il.reason + ')'))),
      h('td', {}, ctx.admin ? inGroups(l.name).map((g) => h('button', { type: 'button', class: 'list-off',
        onclick: async () => { if (await setList(g.name, l.name, false)) draw(); } }, 'Off for ' + g.name)) : '')));
    const removed = st.groups.flatMap((g) => (g.removed || []).map((l) => h('tr', {},
      h('td', {}, h('code', {}, l)), h('td', {}, g.name),
      h('td', {}, ctx.admin ? h('button', { type: 'button', onclick: async () => { if (await setList(g.name, l, true)) draw(); } }, 'Back on') : ''))));
    body.replaceChildren(card('', table(['list', 'entries', 'state', h('span', { class: 'hide-narrow' }, 'last success'), 'last error', 'skipped', 'invalid', ''], rows, 'No lists configured.')),
      removed.length ? card('Switched off in the console', table(['list', 'group', ''], removed)) : '');
    if (ctx.admin && !drawnAdd) {
      drawnAdd = true;
      const src = h('input', { id: 'new-list', size: 40, placeholder: 'https://example.org/list.txt or /etc/cleandns/mine.txt', required: true });
      const grp = h('select', { id: 'new-list-group', 'aria-label': 'Group' }, st.groups.map((g) => h('option', { value: g.name }, g.name)));
      const form = h('form', { class: 'filters', id: 'add-list-form' },
        h('label', {}, 'URL or file', src), h('label', {}, 'Group', grp), h('button', { type: 'submit', class: 'primary' }, 'Add'));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (await setList(grp.value, src.value.trim(), true)) { src.value = ''; draw(); }
      });
      const presets = PRESETS.map(([name, url]) => h('button', { type: 'button', class: 'preset', title: url,
        onclick: async () => { if (await setList(grp.value, url, true)) draw(); } }, name));
      add.replaceChildren(card('Add a list', form,
        h('p', { class: 'muted' }, 'Hosts files, domain lists and AdGuard/Adblock syntax are read. A list is fetched only once it is added; it applies at once and survives restarts.'),
        h('p', { class: 'row' }, 'Presets: ', presets)));
    }
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
