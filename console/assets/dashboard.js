// Dashboard: the last 24 h in 10-minute steps, the last hour live, and
// what is blocked, who asks and whether blocking is on.
import { get } from './api.js';
import { barChart } from './chart.js';
import { h, card, table, fmt, pct, left, logLink } from './dom.js';
import { every } from './poll.js';

const DAY = 24 * 3600e3, HOUR = 3600e3;

function topRows(top, link) {
  return top.map((c) => h('tr', {},
    h('td', {}, link ? h('a', { href: link(c.key) }, c.key || '(none)') : (c.key || '(none)')),
    h('td', { class: 'n' }, fmt.format(c.count))));
}

// latency is an upstream's smoothed round-trip time, with the median and
// 95th percentile of its recent exchanges beneath.
function latency(u) {
  if (!u.rtt_ms) return '–';
  return [u.rtt_ms.toFixed(1) + ' ms', u.rtt_samples ? h('div', { class: 'muted pct' },
    `p50 ${(u.rtt_p50_ms || 0).toFixed(1)} · p95 ${(u.rtt_p95_ms || 0).toFixed(1)} ms, last ${u.rtt_samples}`) : ''];
}

function legend() {
  return h('p', { class: 'legend' }, h('span', { class: 'sw total' }), 'queries', h('span', { class: 'sw blk' }), 'blocked');
}

export function render(main) {
  main.append(h('h1', {}, 'Dashboard'));
  const body = h('div', {});
  main.append(body);
  const draw = async () => {
    const now = Date.now();
    const [day, hour, status, blocked, clients, lists] = await Promise.all([
      get('stats', { since: '24h', step: '10m' }),
      get('stats', { since: '1h', step: '1m' }),
      get('status'),
      get('top', { kind: 'blocked', since: '24h', limit: 10 }),
      get('top', { kind: 'clients', since: '24h', limit: 10 }),
      get('top', { kind: 'lists', since: '24h', limit: 10 }),
    ]);
    const answered = hour.total - hour.blocked;
    const cards = h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'num', id: 'd-total' }, fmt.format(day.total)), h('div', { class: 'label' }, 'queries, 24 h')),
      h('div', { class: 'card' }, h('div', { class: 'num', id: 'd-blocked' }, fmt.format(day.blocked)), h('div', { class: 'label' }, 'blocked, 24 h')),
      h('div', { class: 'card' }, h('div', { class: 'num', id: 'd-share' }, pct(day.blocked, day.total)), h('div', { class: 'label' }, 'share blocked')),
      h('div', { class: 'card' }, h('div', { class: 'num', id: 'd-cache' }, hour.cached == null ? '–' : pct(hour.cached, answered)), h('div', { class: 'label' }, 'cache hits, last hour (of queries not blocked)')));
    const paused = status.blocking.paused || {};
    const groups = status.groups.map((g) => h('tr', {},
      h('td', {}, g.name),
      h('td', {}, paused[''] ? h('span', { class: 'warn' }, 'paused for everyone: ' + left(paused[''])) :
        g.paused_until ? h('span', { class: 'warn' }, 'paused: ' + left(g.paused_until)) :
          g.enabled ? h('span', { class: 'ok' }, 'on') : h('span', { class: 'muted' }, 'off in the config'))));
    const ups = status.upstreams.map((u) => h('tr', {}, h('td', {}, h('code', {}, u.name)),
      h('td', {}, u.healthy ? h('span', { class: 'ok' }, 'healthy') : h('span', { class: 'blocked' }, 'down')),
      h('td', { class: 'n latency' }, latency(u))));
    body.replaceChildren(cards, h('div', { class: 'grid' },
      h('section', { class: 'card wide' }, h('h2', {}, 'Last 24 hours, per 10 minutes'),
        barChart(day.buckets, now - DAY, 600e3, 'last 24 hours'), legend()),
      h('section', { class: 'card wide' }, h('h2', {}, 'Last hour, per minute (live)'),
        barChart(hour.buckets, now - HOUR, 60e3, 'last hour'), legend()),
      card('Top blocked names', table(['name', 'blocked'], topRows(blocked.top, (k) => '#log?name=' + encodeURIComponent(k) + '&result=blocked'), 'Nothing blocked in 24 h.')),
      card('Top clients', table(['client', 'queries'], topRows(clients.top, (k) => logLink(k)))),
      card('Top lists', table(['list', 'blocks'], topRows(lists.top), 'No list blocked anything in 24 h.')),
      card('Blocking per group', table(['group', 'blocking'], groups)),
      card('Upstreams', table(['upstream', 'health', 'latency'], ups))));
  };
  let first = true;
  return every(10000, async () => {
    await draw();
    // The browser test reads this mark: the dashboard drawn, counted from the page's start.
    if (first) { first = false; performance.mark('cleandns:dashboard-drawn'); }
  });
}
