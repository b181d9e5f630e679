// The custom rules as one text: every rule a line, in any list syntax
// cleandns reads, checked as it is typed by the lists' parser
// (POST /rules/check) and saved whole (PUT /rules), or not at all.
import { post, put } from './api.js';
import { h, card, toast } from './dom.js';

const DEBOUNCE = 300;

// errorList names each bad line; its number selects that line in the text.
function errorList(out, errors, text) {
  out.replaceChildren(...errors.map((e) => h('li', { 'data-line': e.line },
    h('button', { type: 'button', class: 'goto', 'aria-label': 'Go to line ' + e.line, onclick: () => selectLine(text, e.line) }, 'line ' + e.line),
    ': ', e.error)));
}

function selectLine(text, n) {
  const lines = text.value.split('\n');
  const start = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(start, start + (lines[n - 1] || '').length);
}

// editor returns the card and load(rules, version): the text shown becomes
// the stored set, unless the admin has changed it since the last load; a
// save names the version it was loaded from.
export function editor(onSaved) {
  const text = h('textarea', { id: 'rules-text', rows: 10, spellcheck: 'false', autocomplete: 'off', 'aria-label': 'All custom rules, one a line', 'aria-describedby': 'rules-verdict',
    placeholder: '||ads.example^\n@@||ok.example^\n0.0.0.0 tracker.example' });
  const verdict = h('p', { id: 'rules-verdict', role: 'status', 'aria-live': 'polite' });
  const errors = h('ul', { id: 'rules-errors', class: 'error' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'rules-save', disabled: true }, 'Save all rules');
  const form = h('form', { id: 'rules-editor' }, text, verdict, errors, h('p', {}, save));
  let dirty = false, timer = 0, seq = 0, version = '';
  const show = (res) => {
    verdict.className = res.ok ? 'ok' : 'error';
    verdict.textContent = res.ok ? `cleandns reads every line: ${res.rules} rule${res.rules === 1 ? '' : 's'}.` :
      (res.error || `${res.errors.length} line${res.errors.length === 1 ? '' : 's'} cannot be read; fix ${res.errors.length === 1 ? 'it' : 'them'} to save.`);
    errorList(errors, res.errors || [], text);
    save.disabled = !res.ok || !dirty;
  };
  text.addEventListener('input', () => {
    dirty = true;
    save.disabled = true;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const res = await post('rules/check', {}, { text: text.value });
        if (mine === seq) show(res);
      } catch (e) { verdict.className = 'error'; verdict.textContent = e.message; }
    }, DEBOUNCE);
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    seq++;
    save.disabled = true;
    try {
      const res = await put('rules', {}, { text: text.value, version });
      dirty = false;
      verdict.className = 'ok';
      verdict.textContent = `Saved: ${res.rules} rules (${res.added.length} added, ${res.removed.length} removed).`;
      errors.replaceChildren();
      toast('Rules saved.');
      onSaved();
    } catch (e) {
      if (e.data && e.data.errors) show(e.data);
      else if (e.status === 409) {
        // Someone changed the rules since this text was loaded: saving it
        // would drop their change unseen.
        verdict.className = 'error';
        verdict.replaceChildren('The rules changed since this text was loaded; nothing was saved. ',
          h('button', { type: 'button', id: 'rules-reload', onclick: () => { dirty = false; onSaved(); } }, 'Load the saved rules'),
          ' (your text here is replaced).');
      } else { verdict.className = 'error'; verdict.textContent = 'Save failed: ' + e.message; }
    }
  });
  const load = (rules, v) => {
    if (dirty) return;
    version = v || '';
    // Each rule below the comment and blank lines it was saved with.
    text.value = rules.map((r) => (r.comment || '') + r.rule + '\n' + (r.trailing || '')).join('');
  };
  const el = card('All custom rules', form,
    h('p', { class: 'muted' }, 'One rule a line, as in a list: ||name^ blocks a name and its subdomains, @@||name^ allows, a hosts line or a plain name blocks. Comments (! or #) and blank lines are kept with the rule below them. Saving replaces every custom rule at once; a line cleandns cannot read saves nothing.'));
  return { el, load, stop: () => clearTimeout(timer) };
}
