// Custom rules and the runtime deny list: rules in any list syntax
// cleandns reads, checked by its parser as they are typed.
import { get, post, del } from './api.js';
import { h, card, table, ago, toast } from './dom.js';
import { editor } from './ruleseditor.js';

export function render(main, ctx) {
  main.append(h('h1', {}, 'Custom rules'));
  if (!ctx.admin) {
    main.append(h('p', {}, 'Custom rules and the deny list need an admin login.'));
    return () => {};
  }
  const input = h('input', { id: 'rule', size: 40, placeholder: '||ads.example^  or  @@||ok.example^  or  0.0.0.0 tracker.example', autocomplete: 'off', spellcheck: 'false' });
  const verdict = h('p', { id: 'rule-check', role: 'status', 'aria-live': 'polite' });
  const addBtn = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Add rule');
  const form = h('form', { class: 'filters', id: 'rule-form' }, h('label', {}, 'Rule', input), addBtn);
  const rulesOut = h('div', { id: 'rules' });
  const denyOut = h('div', { id: 'deny' });
  const bulk = editor(() => draw());
  main.append(bulk.el, card('Add a rule', form, verdict,
    h('p', { class: 'muted' }, 'A rule blocks (||name^, a hosts line, a plain name) or allows (@@||name^) for every group; allow rules beat the lists. The same parser as the lists checks it as you type.')),
    h('div', { class: 'grid' }, rulesOut, denyOut));
  let timer = 0, seq = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    addBtn.disabled = true;
    const rule = input.value.trim();
    if (!rule) { verdict.textContent = ''; return; }
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const res = await get('rules/check', { rule });
        if (mine !== seq) return;
        verdict.className = res.ok ? 'ok' : 'error';
        verdict.textContent = res.ok ? 'cleandns reads this rule.' : res.error;
        addBtn.disabled = !res.ok;
      } catch (e) { verdict.className = 'error'; verdict.textContent = e.message; }
    }, 250);
  });
  const draw = async () => {
    const [rules, deny] = await Promise.all([get('rules'), get('deny')]);
    bulk.load(rules.rules, rules.version);
    rulesOut.replaceChildren(card('Custom rules', table(['rule', 'added', 'by', ''], rules.rules.map((e) => h('tr', { 'data-rule': e.rule },
      h('td', {}, h('code', {}, e.rule)), h('td', {}, ago(e.added)), h('td', { class: 'muted' }, e.by || ''),
      h('td', {}, h('button', { type: 'button', onclick: async () => {
        try { await del('rules', { rule: e.rule }); toast('Removed the rule.'); } catch (err) { toast('Remove failed: ' + err.message); }
        draw();
      } }, 'Remove')))), 'No custom rules.')));
    denyOut.replaceChildren(card('Blocked from the console or the API', table(['name', 'added', 'by', ''], deny.deny.map((e) => h('tr', {},
      h('td', {}, h('code', {}, e.name)), h('td', {}, ago(e.added)), h('td', { class: 'muted' }, e.by || ''),
      h('td', {}, h('button', { type: 'button', onclick: async () => {
        try { await del('deny', { name: e.name }); toast('Unblocked ' + e.name + '.'); } catch (err) { toast('Remove failed: ' + err.message); }
        draw();
      } }, 'Remove')))), 'No runtime deny entries.')));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('rules', { rule: input.value.trim() });
      toast('Rule added.');
      input.value = ''; verdict.textContent = ''; addBtn.disabled = true;
    } catch (e) { toast('Add failed: ' + e.message); }
    draw();
  });
  draw().catch((e) => rulesOut.replaceChildren(h('p', { class: 'error' }, e.message)));
  return () => { clearTimeout(timer); bulk.stop(); };
}
