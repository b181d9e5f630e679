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
    refresh(true);
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

// switchCategory turns a category on or off for a group. Off, when it is on
// through a group of categories (builtin:clean-apps), switches that group
// off and its other members on: the rest stays as it was.
async function switchCategory(name, on, group, aliases, via) {
  const set = (list, v) => post('settings/lists', { group: group.name, list, on: v });
  try {
    if (on || !via || group.lists.includes(name)) {
      await set(name, on);
    } else {
      for (const m of aliases[via]) if (m !== name && !group.lists.includes(m)) await set(m, true);
      await set(via, false);
    }
    toast(name + (on ? ' is blocked' : ' is no longer blocked') + ' for ' + group.name + '.');
  } catch (e) { toast('Switch failed: ' + e.message); }
}

let chosen = 'default';

export function render(main, ctx) {
  main.append(h('h1', {}, 'Blocking'));
  const pauses = h('div', { id: 'pauses' });
  const cats = h('div', { id: 'categories' });
  main.append(card('Pause', pauses), h('div', { class: 'grid' }, cats));
  let catalog = null;
  const draw = async (force) => {
    const st = await get('status');
    if (!catalog) catalog = (await get('categories')).categories;
    const paused = st.blocking.paused || {};
    const rows = [h('tr', { 'data-group': '' }, h('td', {}, h('strong', {}, 'Everyone')), h('td', {}, pauseControls('', paused[''], ctx.admin, draw)))];
    for (const g of st.groups) {
      rows.push(h('tr', { 'data-group': g.name }, h('td', {}, g.name), h('td', {}, g.blocking ? pauseControls(g.name, paused[g.name], ctx.admin, draw) : 'blocking is off in the config')));
    }
    if (force === true || !pauses.contains(document.activeElement)) pauses.replaceChildren(st.blocking.enabled ? table(['who', 'state'], rows) : h('p', {}, 'blocking.enabled is false in the config: nothing is blocked.'));
    const aliases = Object.fromEntries(catalog.filter((c) => c.members).map((c) => [c.name, c.members]));
    if (!st.groups.some((g) => g.name === chosen)) chosen = 'default';
    const group = st.groups.find((g) => g.name === chosen);
    const pick = h('select', { id: 'cat-group', 'aria-label': 'Group' }, st.groups.map((g) => h('option', { value: g.name, selected: g.name === chosen }, g.name)));
    pick.addEventListener('change', () => { chosen = pick.value; draw(true); });
    const catRows = catalog.filter((c) => !c.members).map((c) => {
      const direct = group.lists.includes(c.name);
      const via = group.lists.find((l) => (aliases[l] || []).includes(c.name));
      const on = direct || !!via;
      const sw = h('input', { type: 'checkbox', role: 'switch', class: 'cat-switch', checked: on, disabled: !ctx.admin,
        'aria-label': c.name + ' for ' + chosen });
      sw.addEventListener('change', () => switchCategory(c.name, sw.checked, group, aliases, via).then(() => draw(true)));
      const origin = group.origins && group.origins[c.name] ? h('div', { class: 'muted' }, 'switched on in the console') : '';
      return h('tr', { 'data-category': c.name },
        h('td', {}, h('code', {}, c.name), c.opt_in ? h('div', { class: 'muted' }, 'opt-in') : ''),
        h('td', {}, c.blocks, h('div', { class: 'breaks' }, h('strong', {}, 'Also breaks: '), md(c.breaks))),
        h('td', {}, h('label', { class: 'switch' }, sw, on ? (via && !direct ? 'on (in ' + via + ')' : 'on') : 'off'), origin));
    });
    // A redraw must not take the keyboard focus away from a switch.
    if (force === true || !cats.contains(document.activeElement)) cats.replaceChildren(h('section', { class: 'card wide' }, h('h2', {}, 'Built-in categories'),
      h('p', { class: 'row' }, h('label', { for: 'cat-group' }, 'For the group'), pick),
      h('p', { class: 'muted' }, 'A switch changes the group\'s lists at once, over the config file (the console wins until switched back; Settings shows the trail and the YAML to fold into the file).'),
      table(['category', 'what it blocks', 'blocking'], catRows)));
  };
  const stopDraw = every(5000, draw);
  // The time left ticks every second without asking the server.
  const tick = setInterval(() => {
    for (const s of document.querySelectorAll('.pause-left')) s.textContent = 'paused, ' + left(s.dataset.until) + ' left';
  }, 1000);
  return () => { stopDraw(); clearInterval(tick); };
}
