// Settings a home user touches: upstream health, the cache, and the
// runtime allow entries made from the query log.
import { get, post, del } from './api.js';
import { h, card, table, fmt, ago, toast } from './dom.js';
import { every } from './poll.js';

export function render(main, ctx) {
  main.append(h('h1', {}, 'Settings'));
  const body = h('div', { class: 'grid' });
  main.append(body);
  const draw = async () => {
    const st = await get('status');
    const allow = ctx.admin ? (await get('allow')).allow : null;
    const ups = st.upstreams.map((u) => h('tr', {}, h('td', {}, h('code', {}, u.name)),
      h('td', {}, u.healthy ? h('span', { class: 'ok' }, 'healthy') : h('span', { class: 'blocked' }, 'down')),
      h('td', { class: 'n' }, u.rtt_ms ? u.rtt_ms.toFixed(1) + ' ms' : '–')));
    const cache = st.cache ? [h('p', {}, fmt.format(st.cache.entries) + ' answers cached' + (st.cache.bytes ? ', ' + fmt.format(Math.round(st.cache.bytes / 1024)) + ' KiB' : '') + '.')] : [h('p', { class: 'muted' }, 'The cache is off.')];
    if (st.cache && ctx.admin) {
      cache.push(h('button', { type: 'button', id: 'flush', onclick: async () => {
        try { const r = await post('cache/flush'); toast('Flushed ' + r.flushed + ' answers.'); } catch (e) { toast('Flush failed: ' + e.message); }
        draw();
      } }, 'Flush the cache'));
    }
    const parts = [card('Upstreams', table(['upstream', 'health', 'latency'], ups), h('p', { class: 'muted' }, 'Upstreams are set in the config file (upstreams.servers).')), card('Cache', cache)];
    if (allow) {
      const rows = allow.map((e) => h('tr', {}, h('td', {}, h('code', {}, e.name)), h('td', {}, ago(e.added)), h('td', { class: 'muted' }, e.by || ''),
        h('td', {}, h('button', { type: 'button', onclick: async () => {
          try { await del('allow', { name: e.name }); toast('Removed ' + e.name + '.'); } catch (err) { toast('Remove failed: ' + err.message); }
          draw();
        } }, 'Remove'))));
      parts.push(h('section', { class: 'card wide' }, h('h2', {}, 'Allowed from the console or the API'), table(['name', 'added', 'by', ''], rows, 'No runtime allow entries.')));
    }
    const [set, yaml] = await Promise.all([get('settings'), fetch('/api/v1/settings/export', { credentials: 'same-origin' }).then((r) => r.text())]);
    const audit = (set.audit || []).slice(-20).reverse().map((c) => h('tr', {}, h('td', {}, ago(c.at)), h('td', { class: 'muted' }, c.by),
      h('td', {}, c.group), h('td', {}, h('code', {}, c.list)), h('td', {}, (c.old ? 'on' : 'off') + ' → ' + (c.new ? 'on' : 'off'))));
    parts.push(h('section', { class: 'card wide', id: 'console-settings' }, h('h2', {}, 'Made in the console'),
      h('p', { class: 'muted' }, 'These lists differ from the config file; the console wins until you switch them back. To fold them into the file, replace its lists with:'),
      Object.keys(set.lists || {}).length ? h('pre', { id: 'export' }, h('code', {}, yaml)) : h('p', {}, 'Nothing: the file is all there is.'),
      table(['when', 'who', 'group', 'list', 'change'], audit, 'No changes yet.')));
    parts.push(card('Version', h('p', {}, 'cleandns ' + st.version + ', up ' + st.uptime)));
    body.replaceChildren(...parts);
  };
  return every(15000, draw);
}
