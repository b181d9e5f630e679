// Clients and groups: which networks and devices make up which group, each
// group's lists and schedule, and the busiest clients with their group,
// why they are in it, and links to their recent queries.
import { get } from './api.js';
import { h, table, fmt, logLink } from './dom.js';
import { every } from './poll.js';

const BY = { id: 'client ID', mac: 'MAC', ecs: 'ECS', network: 'network', default: 'no match' };

function client(c) {
  if (!c.key) return '(hidden)';
  const id = c.key.startsWith('id:');
  return h('a', { href: logLink(c.key) }, id ? h('code', { class: 'client-id' }, c.key) : c.key);
}

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
    const clients = top.top.map((c) => h('tr', { class: 'client', 'data-client': c.key },
      h('td', {}, client(c)),
      h('td', { class: 'group' }, c.group || '–'),
      h('td', { class: 'why' }, c.group_by ? [h('span', { class: 'by' }, BY[c.group_by] || c.group_by), ': ', h('span', { class: 'muted' }, c.group_reason)] : '–'),
      h('td', { class: 'n' }, fmt.format(c.count)),
      h('td', {}, h('a', { href: logLink(c.key, '&result=blocked') }, 'blocks'))));
    body.replaceChildren(
      h('section', { class: 'card wide' }, h('h2', {}, 'Groups'), h('p', { class: 'muted' }, 'A device that gives a client ID (the DoH path /dns-query/NAME, or NAME.dns.example.net as the DoT or DoQ server name) belongs to the group that lists id:NAME. Any other client belongs to the group whose network (CIDR) is the most specific match, or that a trusted forwarder names by MAC or EDNS Client Subnet.'),
        table(['group', 'clients', 'lists', 'schedule'], groups)),
      h('section', { class: 'card wide' }, h('h2', {}, 'Clients, last 24 hours'),
        h('p', { class: 'muted' }, 'Each client\'s group is the one its address or client ID selects now, by the same rules the resolver applies to its queries.'),
        table(['client', 'group', 'why', 'queries', ''], clients, 'No queries in 24 h.')));
  };
  return every(15000, draw);
}
