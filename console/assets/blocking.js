// Blocking: pause and resume (everyone or one group) with the time left,
// and the built-in categories with what else each one breaks.
import { get, post } from './api.js';
import { h, card, table, md, left, toast } from './dom.js';
import { every } from './poll.js';

const PAUSES = [['5m', '5 min'], ['30m', '30 min'], ['1h', '1 hour'], ['168h', 'until resumed (at most 7 days)']];

function pauseControls(group, until, admin, refresh) {
  const label = group === '' ? 'everyone' : group;
  const state = until ? h('span', { class: 'warn pause-left', 'data-until': until }, 'paused, ' + left(until) + ' left')
    : h('span', { class: 'ok' }, 'blocking');
  if (!admin) return [state];
  const act = (path, params, msg) => async () => {
    try { await post(path, params); toast(msg); } catch (e) { toast(path + ' failed: ' + e.message); }
    refresh();
  };
  const buttons = PAUSES.map(([d, l]) => h('button', { type: 'button', class: 'pause', 'data-duration': d, 'aria-label': 'Pause ' + label + ' ' + l,
    onclick: act('blocking/pause', { group, duration: d }, 'Blocking paused for ' + label + ' (' + l + ').') }, l));
  const resume = h('button', { type: 'button', class: 'primary resume', disabled: !until, 'aria-label': 'Resume blocking for ' + label,
    onclick: act('blocking/resume', { group }, 'Blocking resumed for ' + label + '.') }, 'Resume');
  return [state, ' ', h('span', { class: 'row' }, 'Pause: ', buttons, resume)];
}

// onFor says which groups a category is on for, directly or through a
// group of categories (builtin:clean-apps).
function onFor(cat, groups, aliases) {
  return groups.filter((g) => g.lists.some((l) => l === cat.name || (aliases[l] || []).includes(cat.name))).map((g) => g.name);
}

export function render(main, ctx) {
  main.append(h('h1', {}, 'Blocking'));
  const pauses = h('div', { id: 'pauses' });
  const cats = h('div', { id: 'categories' });
  main.append(card('Pause', pauses), h('div', { class: 'grid' }, cats));
  let catalog = null;
  const draw = async () => {
    const st = await get('status');
    if (!catalog) catalog = (await get('categories')).categories;
    const paused = st.blocking.paused || {};
    const rows = [h('tr', { 'data-group': '' }, h('td', {}, h('strong', {}, 'Everyone')), h('td', {}, pauseControls('', paused[''], ctx.admin, draw)))];
    for (const g of st.groups) {
      rows.push(h('tr', { 'data-group': g.name }, h('td', {}, g.name), h('td', {}, g.blocking ? pauseControls(g.name, paused[g.name], ctx.admin, draw) : 'blocking is off in the config')));
    }
    pauses.replaceChildren(st.blocking.enabled ? table(['who', 'state'], rows) : h('p', {}, 'blocking.enabled is false in the config: nothing is blocked.'));
    const aliases = Object.fromEntries(catalog.filter((c) => c.members).map((c) => [c.name, c.members]));
    const catRows = catalog.filter((c) => !c.members).map((c) => {
      const on = onFor(c, st.groups, aliases);
      return h('tr', { 'data-category': c.name },
        h('td', {}, h('code', {}, c.name), c.opt_in ? h('div', { class: 'muted' }, 'opt-in') : ''),
        h('td', {}, c.blocks, h('div', { class: 'breaks' }, h('strong', {}, 'Also breaks: '), md(c.breaks))),
        h('td', {}, on.length ? h('span', { class: 'ok' }, 'on for ' + on.join(', ')) : h('span', { class: 'muted' }, 'off')));
    });
    cats.replaceChildren(h('section', { class: 'card wide' }, h('h2', {}, 'Built-in categories'),
      h('p', { class: 'muted' }, 'Categories are switched in the config file (blocking.lists and each group\'s lists); switching them here needs the runtime settings store, which this version does not have yet.'),
      table(['category', 'what it blocks', 'state'], catRows)));
  };
  const stopDraw = every(5000, draw);
  // The time left ticks every second without asking the server.
  const tick = setInterval(() => {
    for (const s of document.querySelectorAll('.pause-left')) s.textContent = 'paused, ' + left(s.dataset.until) + ' left';
  }, 1000);
  return () => { stopDraw(); clearInterval(tick); };
}
