// Settings a home user touches: upstreams with their health, local
// records, the cache, and the runtime allow entries made from the query log.
import { get, post, del } from './api.js';
import { h, card, table, fmt, ago, toast } from './dom.js';
import { every } from './poll.js';
import { upstreamsCard, recordsCard, editForms } from './settings-edit.js';

// changeText says an audited change in words: a list switch, or a value
// before and after.
function changeText(c) {
  if (!c.what || c.what === 'list') return [c.group + ' ', h('code', {}, c.list), ': ' + (c.old ? 'on' : 'off') + ' → ' + (c.new ? 'on' : 'off')];
  return [c.what === 'upstreams' ? 'upstreams: ' : 'local record: ', h('code', {}, c.old_value || 'none'), ' → ', h('code', {}, c.new_value || 'none')];
}

export function render(main, ctx) {
  main.append(h('h1', {}, 'Settings'));
  const body = h('div', { class: 'grid' });
  main.append(body);
  let draw = () => {};
  const forms = ctx.admin ? editForms(() => draw()) : {};
  draw = async () => {
    const st = await get('status');
    const allow = ctx.admin ? (await get('allow')).allow : null;
    const cache = st.cache ? [h('p', {}, fmt.format(st.cache.entries) + ' answers cached' + (st.cache.bytes ? ', ' + fmt.format(Math.round(st.cache.bytes / 1024)) + ' KiB' : '') + '.')] : [h('p', { class: 'muted' }, 'The cache is off.')];
    if (st.cache && ctx.admin) {
      const slot = h('p', {});
      const flush = h('button', { type: 'button', id: 'flush' }, 'Flush the cache');
      flush.addEventListener('click', () => {
        const yes = h('button', { type: 'button', class: 'primary confirm' }, 'Empty the cache?');
        const no = h('button', { type: 'button' }, 'Cancel');
        no.addEventListener('click', () => slot.replaceChildren(flush));
        yes.addEventListener('click', async () => {
          try { const r = await post('cache/flush'); toast('Flushed ' + r.flushed + ' answers.'); } catch (e) { toast('Flush failed: ' + e.message); }
          draw();
        });
        slot.replaceChildren(yes, no);
      });
      slot.append(flush);
      cache.push(slot);
    }
    const parts = [upstreamsCard(st, ctx, draw, forms.upstream), recordsCard(st, ctx, draw, forms.record), card('Cache', cache)];
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
      h('td', {}, changeText(c))));
    const changed = Object.keys(set.lists || {}).length || (set.upstreams || []).length || (set.local_records || []).length;
    parts.push(h('section', { class: 'card wide', id: 'console-settings' }, h('h2', {}, 'Made in the console'),
      h('p', { class: 'muted' }, 'These settings differ from the config file; the console wins until you change them back. To fold them into the file, replace its keys with:'),
      changed ? h('pre', { id: 'export' }, h('code', {}, yaml)) : h('p', {}, 'Nothing: the file is all there is.'),
      table(['when', 'who', 'change'], audit, 'No changes yet.')));
    parts.push(card('Version', h('p', {}, 'cleandns ' + st.version + ', up ' + st.uptime)));
    // The add forms move into the new cards: keep the field being typed in.
    const focused = document.activeElement;
    body.replaceChildren(...parts);
    if (focused && focused !== document.body && focused.isConnected) focused.focus();
  };
  return every(15000, draw);
}
