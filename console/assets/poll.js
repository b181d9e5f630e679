// every runs fn now and then every ms while the page is visible, and
// returns the function that stops it. Hidden tabs do not poll: an idle
// console costs the resolver nothing.
export function every(ms, fn) {
  let timer = 0, stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try { await fn(); } catch (e) { if (e.status !== 401) console.warn('refresh failed:', e.message); }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
