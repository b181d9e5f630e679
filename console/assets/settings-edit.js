// The settings a home user edits in the console: upstreams (with their
// health) and local records. Each change is confirmed in place, goes
// through POST/DELETE /api/v1/settings/*, and is applied like a reload.
import { post, del } from './api.js';
import { h, card, table, toast } from './dom.js';

const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'SRV', 'TXT', 'HTTPS', 'SVCB', 'PTR'];

// confirmIn swaps slot's content for "label?" and Cancel; yes runs fn, and
// either way the old content comes back.
function confirmIn(slot, label, fn) {
  const before = [...slot.childNodes];
  const yes = h('button', { type: 'button', class: 'primary confirm' }, label + '?');
  const no = h('button', { type: 'button' }, 'Cancel');
  no.addEventListener('click', () => slot.replaceChildren(...before));
  yes.addEventListener('click', async () => { yes.disabled = true; await fn(); slot.replaceChildren(...before); });
  slot.replaceChildren(yes, no);
  yes.focus();
}

// change runs one settings call and says what happened.
async function change(call, done, redraw) {
  try { await call(); toast(done); } catch (e) { toast('Refused: ' + e.message); }
  redraw();
}

function removeButton(label, call, done, redraw) {
  const cell = h('td', {});
  const b = h('button', { type: 'button', class: 'remove', 'aria-label': label }, 'Remove');
  b.addEventListener('click', () => confirmIn(cell, label, () => change(call, done, redraw)));
  cell.append(b);
  return cell;
}

const origins = { console: 'console', hosts_file: 'hosts file' };
const origin = (o) => h('span', { class: 'muted' }, origins[o] || 'file');

// upstreamsCard shows every upstream with its health; an admin removes a
// default one, or goes back to the file's when the console set them.
export function upstreamsCard(st, ctx, redraw, form) {
  const removable = st.upstreams.filter((u) => !u.zone).length > 1;
  const rows = st.upstreams.map((u) => h('tr', { 'data-upstream': u.name },
    h('td', {}, h('code', {}, u.name)),
    h('td', {}, u.healthy ? h('span', { class: 'ok' }, 'healthy') : h('span', { class: 'blocked' }, 'down')),
    h('td', { class: 'n' }, u.rtt_ms ? u.rtt_ms.toFixed(1) + ' ms' : '–'),
    h('td', {}, u.zone ? h('span', { class: 'muted' }, 'forward zone') : origin(u.origin)),
    ctx.admin && !u.zone && removable ? removeButton('Remove upstream ' + u.name, () => del('settings/upstreams', { server: u.name }), 'Removed ' + u.name + '.', redraw) : h('td', {})));
  const fromConsole = st.upstreams.some((u) => u.origin === 'console');
  const note = [h('p', { class: 'muted' }, fromConsole
    ? 'Set in the console: they replace upstreams.servers of the config file until you go back to it.'
    : 'From the config file (upstreams.servers). Adding or removing one here makes the console\'s list replace it.')];
  if (ctx.admin && fromConsole) {
    const slot = h('p', {});
    const back = h('button', { type: 'button', id: 'upstreams-reset' }, 'Back to the file\'s upstreams');
    back.addEventListener('click', () => confirmIn(slot, 'Use the file\'s upstreams again', () =>
      change(() => del('settings/upstreams'), 'The file\'s upstreams are back.', redraw)));
    slot.append(back);
    note.push(slot);
  }
  return h('section', { class: 'card wide', id: 'upstreams' }, h('h2', {}, 'Upstreams'),
    table(['upstream', 'health', 'latency', 'from', ''], rows, 'No upstreams.'), note, form);
}

const recordKey = (r) => r.name + ' ' + r.type + ' ' + r.value;

// recordsCard lists the local records in effect; an admin removes the
// console's (the file's are changed in the file).
export function recordsCard(st, ctx, redraw, form) {
  const rows = (st.local_records || []).map((r) => h('tr', { 'data-record': recordKey(r) },
    h('td', {}, h('code', {}, r.name)), h('td', {}, r.type), h('td', {}, h('code', {}, r.value)),
    h('td', { class: 'n' }, r.ttl ? r.ttl + ' s' : 'default'), h('td', {}, origin(r.origin)),
    ctx.admin && r.origin === 'console'
      ? removeButton('Remove ' + recordKey(r), () => del('settings/local-records', { name: r.name, type: r.type, value: r.value }), 'Removed ' + recordKey(r) + '.', redraw)
      : h('td', {})));
  return h('section', { class: 'card wide', id: 'local-records' }, h('h2', {}, 'Local records'),
    table(['name', 'type', 'value', 'ttl', 'from', ''], rows, 'No local records.'),
    st.hosts_records ? h('p', { class: 'muted', id: 'hosts-more' }, `The first ${(st.local_records || []).filter((r) => r.origin === 'hosts_file').length} of the hosts file's ${st.hosts_records} records are listed.`) : '',
    h('p', { class: 'muted' }, 'A name given records here answers only those: the console wins over the config file\'s local_records for that name. The hosts file (local_records.hosts_file) adds its addresses and is edited on disk; it is read again when it changes.'), form);
}

// editForms are the add forms, built once so a refresh does not wipe what
// is being typed: the cards take them in at each draw.
export function editForms(redraw) {
  const server = h('input', { id: 'new-upstream', size: 34, required: true, placeholder: 'tls://9.9.9.9:853#dns.quad9.net' });
  const upSlot = h('span', {}, h('button', { type: 'submit', class: 'primary' }, 'Add'));
  const upForm = h('form', { class: 'filters', id: 'upstream-form' }, h('label', {}, 'Upstream', server), upSlot);
  upForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = server.value.trim();
    // The address goes in the body: a URL's token stays out of the request line.
    confirmIn(upSlot, 'Add upstream ' + s, () => change(async () => { await post('settings/upstreams', {}, { server: s }); server.value = ''; }, 'Added ' + s + '.', redraw));
  });
  const f = {
    name: h('input', { id: 'rec-name', size: 22, required: true, placeholder: 'printer.home.arpa' }),
    type: h('select', { id: 'rec-type' }, TYPES.map((t) => h('option', { value: t }, t))),
    value: h('input', { id: 'rec-value', size: 22, required: true, placeholder: '192.168.1.50' }),
    ttl: h('input', { id: 'rec-ttl', size: 6, placeholder: '5m' }),
  };
  const recSlot = h('span', {}, h('button', { type: 'submit', class: 'primary' }, 'Add'));
  const recForm = h('form', { class: 'filters', id: 'rec-form' }, h('label', {}, 'Name', f.name), h('label', {}, 'Type', f.type),
    h('label', {}, 'Value', f.value), h('label', {}, 'TTL', f.ttl), recSlot);
  recForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = { name: f.name.value.trim(), type: f.type.value, value: f.value.value.trim(), ttl: f.ttl.value.trim() };
    confirmIn(recSlot, 'Add ' + recordKey(r), () => change(async () => {
      await post('settings/local-records', r);
      f.name.value = ''; f.value.value = ''; f.ttl.value = '';
    }, 'Added ' + recordKey(r) + '.', redraw));
  });
  return {
    upstream: h('div', { class: 'add' }, h('h3', {}, 'Add an upstream'), upForm,
      h('p', { class: 'muted' }, 'An IP, IP:port, udp://, tcp://, tls://host:853#name or https://host/dns-query. It goes last: upstreams are tried in order.')),
    record: h('div', { class: 'add' }, h('h3', {}, 'Add a local record'), recForm,
      h('p', { class: 'muted' }, 'Answered by cleandns itself, with a PTR for an address. The value is in zone-file form: an address, a name, "10 mx.home.arpa" for MX.')),
  };
}
