// Clients and groups: which networks make up which group, each group's
// lists and schedule, and the busiest clients with their recent queries.
import { get } from './api.js';
import { h, card, table, fmt } from './dom.js';
import { every } from './poll.js';

export function render(main) {
  main.append(h('h1', {}, 'Clients and groups'));
  const body = h('div', { class: 'grid' });
  main.append(body);
  const draw = async () => {
    const [st, top] = await Promise.all([get('status'), get('top', { kind: 'clients', since: '24h', limit: 50 })]);
    const groups = st.groups.map((g) => h('tr', {},
      h('td', {}, g.name),
      h('td', {}, g.name === 'default' ? h('span', { class: 'muted' }, 'every client no group names') : (g.clients || []).map((c) => h('div', {}, h('code', {}, c)))),
      h('td', {}, g.lists.map((l) => h('div', {}, h('code', {}, l)))),
      h('td', {}, g.schedule ? (g.schedule_open ? 'schedule: open now' : 'schedule: closed now') : '–')));
    const clients = top.top.map((c) => h('tr', {},
      h('td', {}, h('a', { href: '#log?client=' + encodeURIComponent(c.key) }, c.key || '(hidden)')),
      h('td', { class: 'n' }, fmt.format(c.count)),
      h('td', {}, h('a', { href: '#log?result=blocked&client=' + encodeURIComponent(c.key) }, 'blocks'))));
    body.replaceChildren(
      h('section', { class: 'card wide' }, h('h2', {}, 'Groups'), h('p', { class: 'muted' }, 'A client belongs to the group whose network (CIDR) is the most specific match, or that a trusted forwarder names by EDNS Client Subnet or MAC.'),
        table(['group', 'clients', 'lists', 'schedule'], groups)),
      h('section', { class: 'card wide' }, h('h2', {}, 'Clients, last 24 hours'), table(['client', 'queries', ''], clients, 'No queries in 24 h.')));
  };
  return every(15000, draw);
}
