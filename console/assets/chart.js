// A bar chart of queries per step, drawn as SVG elements (no inline
// styles: the CSP forbids them), blocked queries over the total.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

// barChart draws buckets ({time, total, blocked}) from since to now in
// steps of stepMs; missing steps are zero.
export function barChart(buckets, since, stepMs, label) {
  const n = Math.max(1, Math.ceil((Date.now() - since) / stepMs));
  const start = Math.floor(since / stepMs) * stepMs;
  const totals = new Array(n).fill(0), blocked = new Array(n).fill(0);
  for (const b of buckets) {
    const i = Math.floor((Date.parse(b.time) - start) / stepMs);
    if (i >= 0 && i < n) { totals[i] += b.total; blocked[i] += b.blocked; }
  }
  const W = 600, H = 120, top = 4, bottom = 1, max = Math.max(1, ...totals);
  const svg = el('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  const title = el('title', {});
  const sum = totals.reduce((a, b) => a + b, 0), bsum = blocked.reduce((a, b) => a + b, 0);
  title.textContent = `${label}: ${sum} queries, ${bsum} blocked, peak ${max} per step`;
  svg.append(title);
  const bw = W / n, scale = (H - top - bottom) / max;
  for (let i = 0; i < n; i++) {
    const x = i * bw, ht = totals[i] * scale, hb = blocked[i] * scale;
    if (ht > 0) svg.append(el('rect', { class: 'total', x, y: H - bottom - ht, width: Math.max(1, bw - 1), height: ht }));
    if (hb > 0) svg.append(el('rect', { class: 'blk', x, y: H - bottom - hb, width: Math.max(1, bw - 1), height: hb }));
  }
  svg.append(el('line', { class: 'axis', x1: 0, x2: W, y1: H - 1, y2: H - 1 }));
  // Labels are HTML, not SVG text: the chart stretches to the card's
  // width, which would stretch the letters too.
  const hm = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  const labels = document.createElement('div');
  labels.className = 'axis-labels';
  for (const t of [hm(start), 'peak ' + max + ' per step', hm(Date.now())]) {
    const span = document.createElement('span');
    span.textContent = t;
    labels.append(span);
  }
  const wrap = document.createElement('div');
  wrap.append(svg, labels);
  return wrap;
}
