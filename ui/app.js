// The duty desk: signs in with the node's own users (/ui/session) and shows
// the open cases of the hotline (/api/v1/cases) with their deadlines counting
// down. Only this node's own API; nothing from another origin.

const $ = (id) => document.getElementById(id);
let session = null;
let cases = [];

async function api(method, path, body) {
  const headers = {};
  if (session && method !== 'GET') headers['X-CSRF-Token'] = session.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = null; }
  return { status: r.status, doc };
}

let shownCase = null;          // the id of the case page on view, or null

function show(view) {
  $('sign-in-view').hidden = view !== 'sign-in';
  $('hotline-view').hidden = view !== 'hotline';
  $('partners-view').hidden = view !== 'hotline';
  $('border-view').hidden = view !== 'hotline';
  $('ledger-view').hidden = view !== 'hotline';
  $('collections-view').hidden = view !== 'hotline';
  $('case-view').hidden = view !== 'case';
  $('who').hidden = view === 'sign-in';
}

// "2026-12-07T18:15:00Z UTC / 07/12/2026, 19:15:00" (both, as on every page)
function when(iso) {
  if (!iso) return '-';
  const t = new Date(Date.parse(iso));
  return `${t.toISOString().replace(/\.\d{3}Z$/, 'Z')} UTC / ${t.toLocaleString()}`;
}

// "in 1 h 05 min" or "3 min 20 s ago"
function countdown(ms) {
  const late = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  const parts = d ? [`${d} d`, `${h} h`] : h ? [`${h} h`, `${String(m).padStart(2, '0')} min`]
    : [`${m} min`, `${String(s).padStart(2, '0')} s`];
  return late ? `${parts.join(' ')} ago` : `in ${parts.join(' ')}`;
}

// The deadline that matters now: acknowledgement until acknowledged, then the answer.
function deadline(c) {
  const d = c.deadlines || {};
  if (!c.acknowledged && d.ack_by) return { what: 'acknowledgement due', at: Date.parse(d.ack_by) };
  if (d.respond_by) return { what: 'answer due', at: Date.parse(d.respond_by) };
  if (d.preserve_until) return { what: 'preservation ends', at: Date.parse(d.preserve_until) };
  return null;
}

function cell(tr, label, text) {
  const td = document.createElement('td');
  td.dataset.label = label;
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

// The filters' choices are the values the open cases have; a chosen one stays while it has none.
const FILTERS = [['f-partner', 'partner'], ['f-kind', 'kind'], ['f-state', 'state']];

function fillFilters() {
  for (const [id, key] of FILTERS) {
    const sel = $(id);
    const keep = sel.value;
    const values = [...new Set(cases.map((c) => c[key]).concat(keep ? [keep] : []))].sort();
    const have = [...sel.options].slice(1).map((o) => o.value);
    if (have.join() === values.join()) continue;
    sel.replaceChildren(Object.assign(document.createElement('option'), { value: '', textContent: 'all' }),
      ...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: v })));
    sel.value = keep;
  }
}

function shown(c) { return FILTERS.every(([id, key]) => !$(id).value || c[key] === $(id).value); }

for (const [id] of FILTERS) $(id).addEventListener('change', () => render());

function render() {
  const now = Date.now();
  const body = $('cases').tBodies[0];
  const rows = cases.filter(shown).map((c) => ({ c, d: deadline(c) }))
    .sort((a, b) => (a.d ? a.d.at : Infinity) - (b.d ? b.d.at : Infinity));
  body.replaceChildren();
  for (const { c, d } of rows) {
    const tr = document.createElement('tr');
    const left = d ? d.at - now : Infinity;
    if (c.overdue || left < 0) tr.className = 'overdue';
    else if (left < 15 * 60 * 1000) tr.className = 'soon';
    const td = cell(tr, 'Deadline', '');
    if (d) {
      const flag = document.createElement('span');
      flag.className = 'flag';
      flag.textContent = left < 0 || c.overdue ? `OVERDUE (level ${c.level}) ` : '';
      td.append(flag, `${d.what} ${countdown(left)}`, document.createElement('br'),
        `${new Date(d.at).toISOString().replace(/\.\d{3}Z$/, 'Z')} UTC / ${new Date(d.at).toLocaleString()}`);
    } else {
      td.textContent = 'none';
    }
    const idc = cell(tr, 'Case', '');
    const a = document.createElement('a');
    a.href = `#case/${encodeURIComponent(c.id)}`;
    a.textContent = c.id;
    idc.appendChild(a);
    cell(tr, 'Partner', c.partner);
    cell(tr, 'Kind', c.kind);
    cell(tr, 'State', c.state);
    cell(tr, 'Summary', c.summary);
    const act = cell(tr, 'Action', '');
    if (c.opened_by === 'partner' && !c.acknowledged) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Acknowledge';
      b.setAttribute('aria-label', `Acknowledge case ${c.id}`);
      b.addEventListener('click', () => acknowledge(c, b));
      act.appendChild(b);
    }
    body.appendChild(tr);
  }
  const waiting = cases.filter((c) => !c.acknowledged && c.opened_by === 'partner').length;
  const plus = moreCases ? '+' : '';
  document.title = waiting ? `(${waiting}${plus}) liaison duty desk` : 'liaison duty desk';
  $('hotline-status').textContent = cases.length ? `${cases.length}${plus} open ` +
    `${cases.length === 1 && !plus ? 'case' : 'cases'}, ${waiting}${plus} waiting for our ` +
    'acknowledgement.' : 'No open case.';
  $('now-utc').textContent = new Date(now).toISOString().slice(0, 19).replace('T', ' ');
  $('now-local').textContent = new Date(now).toLocaleString();
}

// The receiver's first step: the same operation as `liaison ack`.
async function acknowledge(c, button) {
  button.disabled = true;
  const r = await api('POST', `/api/v1/cases/${encodeURIComponent(c.id)}/steps`,
    { step: 'ack', text: `acknowledged by ${session.user} on the duty desk` });
  if (r.status !== 201) {
    button.disabled = false;
    $('hotline-status').textContent = `The acknowledgement of ${c.id} failed (${r.status}` +
      `${r.doc && r.doc.description ? ': ' + r.doc.description : ''}).`;
    return;
  }
  await load();
}

// ---- one case: its facts, what was asked, its steps, and the steps this node may take ----

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v === null || v === undefined || v === '' ? '-' : String(v);
    dl.append(dt, dd);
  }
}

function renderCase(c) {
  const d = c.deadlines || {};
  $('case-title').textContent = `Case ${c.id}`;
  $('case-status').textContent = c.overdue ? `OVERDUE: escalation level ${c.level}` +
    `${c.escalated_to ? `, escalated to ${c.escalated_to}` : ''}.` : '';
  facts($('case-facts'), [['Partner', c.partner], ['Opened by', c.opened_by], ['Kind', c.kind],
    ['State', c.state], ['TLP', c.tlp], ['Summary', c.summary], ['Opened', when(c.opened)],
    ['Acknowledged', when(c.acknowledged)], ['Acknowledgement due', when(d.ack_by)],
    ['Answer due', when(d.respond_by)], ['Preservation until', when(d.preserve_until)]]);
  const det = c.details && typeof c.details === 'object' ? c.details : {};
  facts($('case-details'), Object.keys(det).map((k) => [k.replace(/_/g, ' '),
    typeof det[k] === 'object' ? JSON.stringify(det[k]) : det[k]]));
  const body = $('case-steps').tBodies[0];
  body.replaceChildren();
  for (const st of c.steps || []) {
    const tr = document.createElement('tr');
    tr.dataset.step = st.step;
    cell(tr, 'Step', st.step);
    cell(tr, 'Taken by', `${st.from} (${st.by})`);
    cell(tr, 'Time', when(st.time));
    cell(tr, 'Status', st.status + (st.reason ? `: ${st.reason}` : ''));
    cell(tr, 'Receipt', st.receipt ? when(st.receipt) : 'not yet');
    cell(tr, 'Note', st.text || '');
    cell(tr, 'SHA-256', st.sha256.slice(0, 16));
    body.appendChild(tr);
  }
  const buttons = $('step-buttons');
  const allowed = c.allowed_steps || [];
  const names = [...buttons.querySelectorAll('button')].map((b) => b.dataset.step).join();
  if (names !== allowed.join()) {
    buttons.replaceChildren(...allowed.map((name) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.step = name;
      b.textContent = name.replace(/_/g, ' ');
      b.addEventListener('click', () => takeStep(c.id, name, b));
      return b;
    }));
  }
  $('step-form').hidden = allowed.length === 0;
}

async function loadCase() {
  const r = await api('GET', `/api/v1/cases/${encodeURIComponent(shownCase)}`);
  if (r.status === 401) { session = null; closeLive(); show('sign-in'); return; }
  if (r.status !== 200 || !r.doc) {
    $('case-status').textContent = `The case could not be read (${r.status}` +
      `${r.doc && r.doc.description ? ': ' + r.doc.description : ''}).`;
    return;
  }
  renderCase(r.doc);
}

// The same operation as `liaison ack|start|respond|... CASE`.
async function takeStep(id, step, button) {
  $('step-error').textContent = '';
  button.disabled = true;
  const text = $('step-text').value.trim();
  const r = await api('POST', `/api/v1/cases/${encodeURIComponent(id)}/steps`,
    text ? { step, text } : { step });
  button.disabled = false;
  if (r.status !== 201) {
    $('step-error').textContent = `Not taken (${r.status}): ` +
      `${r.doc && r.doc.description ? r.doc.description : 'the node refused it'}`;
    return;
  }
  $('step-text').value = '';
  await loadCase();
}

function route() {
  const m = /^#case\/(.+)$/.exec(window.location.hash);
  if (!session) return;
  if (m) {
    shownCase = decodeURIComponent(m[1]);
    show('case');
    loadCase();
  } else {
    shownCase = null;
    show('hotline');
    load();
  }
}

window.addEventListener('hashchange', route);

// A figure's colour, in words too: "RED: the last delivery to the partner failed".
function verdictCell(tr, label, v, extra) {
  const td = cell(tr, label, '');
  const flag = document.createElement('span');
  flag.className = `verdict ${v.status}`;
  flag.textContent = v.status.toUpperCase();
  td.append(flag, ` ${extra ? extra + ' ' : ''}(${v.rule})`);
}

function secs(p) { return p.cases ? `${p.p50_s.toFixed(1)} s (${p.cases})` : '-'; }

async function loadPartners() {
  const r = await api('GET', '/api/v1/partners');
  if (r.status !== 200 || !r.doc) return;
  const body = $('partners').tBodies[0];
  body.replaceChildren();
  for (const p of r.doc.partners) {
    const tr = document.createElement('tr');
    tr.dataset.partner = p.name;
    cell(tr, 'Partner', p.name);
    verdictCell(tr, 'Link', p.link, p.last_error ? `${p.last_error};` : '');
    cell(tr, 'Last contact', p.last_contact ? p.last_contact : 'never');
    verdictCell(tr, 'Queue', p.queue, `${p.queued} waiting, ${p.receipted} receipted, ` +
      `${p.retries} retries;`);
    cell(tr, 'Last receipt', p.last_receipt ? when(p.last_receipt) : 'none yet');
    verdictCell(tr, 'Agreement', p.agreement);
    verdictCell(tr, 'Cosigned', p.witness, p.cosigned_size ? `our log up to ${p.cosigned_size}, ` +
      `${countdown(Date.parse(p.cosigned_at) - Date.now())};` : '');
    verdictCell(tr, 'Certificate', p.cert, p.cert_expires ? `expires ${when(p.cert_expires)};` : '');
    cell(tr, 'Pledge', `${secs(p.time_to_receipt)} / ${secs(p.time_to_ack)}`);
    body.appendChild(tr);
  }
  const n = r.doc.node;
  if (n) {
    const nc = $('node-cert');
    nc.replaceChildren();
    const flag = document.createElement('span');
    flag.className = `verdict ${n.cert.status}`;
    flag.textContent = n.cert.status.toUpperCase();
    nc.append(`This node's certificate (pinned by its partners): `, flag,
      ` ${n.cert_expires ? `expires ${when(n.cert_expires)} ` : ''}(${n.cert.rule})`);
  }
}

// The open cases, the nearest deadline first, a page of 100 at a time (keyset, order=due):
// a reload reads again as many pages as were shown.
const PAGE = 100;
let pages = 1;
let moreCases = false;

// The border: counts per (partner, direction, rule) for 24 h and 7 days, and the latest decisions.
async function loadBorder() {
  const r = await api('GET', '/api/v1/border?limit=50');
  if (r.status !== 200 || !r.doc) return;
  const key = (x) => `${x.partner}|${x.direction}|${x.rule}`;
  const day = new Map(r.doc.windows['24h'].map((x) => [key(x), x.count]));
  const counts = $('border-counts').tBodies[0];
  counts.replaceChildren();
  for (const x of r.doc.windows['7d']) {
    const tr = document.createElement('tr');
    tr.dataset.rule = x.rule;
    cell(tr, 'Partner', x.partner);
    cell(tr, 'Direction', x.direction);
    cell(tr, 'Rule', x.rule);
    cell(tr, '24 h', String(day.get(key(x)) || 0));
    cell(tr, '7 days', String(x.count));
    cell(tr, 'Latest', when(x.last));
    cell(tr, 'What the rule refuses', x.explained);
    counts.appendChild(tr);
  }
  const list = $('border-decisions').tBodies[0];
  list.replaceChildren();
  for (const x of r.doc.decisions) {
    const tr = document.createElement('tr');
    cell(tr, 'Time', when(x.time));
    cell(tr, 'Partner', x.partner);
    cell(tr, 'Direction', x.direction);
    cell(tr, 'Object', x.object);
    cell(tr, 'Rule', `${x.rule}: ${x.explained}`);
    cell(tr, 'Reason', x.reason);
    list.appendChild(tr);
  }
}

// The ledger: size, the latest checkpoint and who cosigned it, witnesses, the last `log verify`.
async function loadLedger() {
  const r = await api('GET', '/api/v1/ledger');
  if (r.status !== 200 || !r.doc) return;
  const l = r.doc;
  const ck = l.checkpoint;
  const lv = l.last_verify;
  facts($('ledger-facts'), [['Leaves', l.size],
    ['Latest checkpoint', ck ? `size ${ck.size}, root ${ck.root_hash}, signed ${when(ck.time)}` : 'none yet'],
    ['Its cosignatures', l.cosignatures.length ? l.cosignatures.map((c) =>
      `${c.partner} (${when(c.time)})`).join('; ') : 'none yet'],
    ['Last liaison log verify', `${l.verify.status.toUpperCase()} (${l.verify.rule})` +
      (lv ? `: ${lv.ok ? 'OK' : `BAD: ${lv.problem}`}, ${lv.leaves} leaves, ${when(lv.time)}` : '')]]);
  const body = $('ledger-witnesses').tBodies[0];
  body.replaceChildren();
  for (const w of l.witnesses) {
    const tr = document.createElement('tr');
    tr.dataset.partner = w.partner;
    cell(tr, 'Partner', w.partner);
    cell(tr, 'Cosigned up to', w.cosigned_size ? String(w.cosigned_size) : 'nothing yet');
    cell(tr, 'Latest checkpoint cosigned', l.cosignatures.some((c) => c.partner === w.partner) ?
      'yes' : 'not yet');
    verdictCell(tr, 'Equivocation', w.status, w.equivocations ? `${w.equivocations} kept as proof` +
      `${w.compromised_at ? ` since ${when(w.compromised_at)}` : ''};` : '');
    body.appendChild(tr);
  }
}

// The collections: counts, the newest objects of each, and one object's JSON on request.
async function showObject(coll, id) {
  const r = await api('GET', `/api/v1/collections/${encodeURIComponent(coll)}/objects/` +
    `${encodeURIComponent(id)}`);
  if (r.status !== 200 || !r.doc) {
    $('object-status').textContent = `The object could not be read (${r.status}` +
      `${r.doc && r.doc.description ? ': ' + r.doc.description : ''}).`;
    $('object-json').textContent = '';
    return;
  }
  $('object-status').textContent = `${id}, its latest version:`;
  $('object-json').textContent = JSON.stringify(r.doc.object, null, 2);
}

let lastCollections = 0;

async function loadCollections() {
  // counting a large collection is not free: at most every 5 s, even when the store moves fast
  if (Date.now() - lastCollections < 5000) return;
  lastCollections = Date.now();
  const r = await api('GET', '/api/v1/collections');
  if (r.status !== 200 || !r.doc) return;
  const body = $('collections').tBodies[0];
  body.replaceChildren();
  for (const co of r.doc.collections) {
    const tr = document.createElement('tr');
    tr.dataset.collection = co.title;
    cell(tr, 'Collection', co.title);
    cell(tr, 'From partner', co.partner || '(local)');
    cell(tr, 'Object versions', String(co.object_versions));
    const td = cell(tr, 'Newest objects', co.latest.length ? '' : 'none');
    for (const o of co.latest) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.dataset.object = o.id;
      b.textContent = `${o.type} ${o.id.slice(o.type.length + 2, o.type.length + 10)}… (${when(o.added)})`;
      b.setAttribute('aria-label', `Show ${o.id}`);
      b.addEventListener('click', () => showObject(co.id, o.id));
      td.append(b, document.createElement('br'));
    }
    body.appendChild(tr);
  }
}

async function load() {
  let got = [];
  let next = null;
  let r = null;
  for (let i = 0; i < pages; i++) {
    r = await api('GET', `/api/v1/cases?order=due&limit=${PAGE}` +
      `${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    if (r.status !== 200 || !r.doc) break;
    got = got.concat(r.doc.cases || []);
    next = r.doc.more ? r.doc.next : null;
    if (!next) break;
  }
  if (r.status === 401) { session = null; closeLive(); show('sign-in'); return; }
  if (r.status !== 200 || !r.doc) {
    $('hotline-status').textContent = `The cases could not be read (${r.status}` +
      `${r.doc && r.doc.description ? ': ' + r.doc.description : ''}).`;
    return;
  }
  cases = got;
  moreCases = next !== null;
  $('cases-more-line').hidden = !moreCases;
  $('cases-shown').textContent = `Showing the ${cases.length} nearest deadlines; more are open.`;
  fillFilters();
  loadPartners();
  loadBorder();
  loadLedger();
  loadCollections();
  const known = [...new Set(cases.map((c) => c.partner))].sort();
  $('oc-partners').replaceChildren(...known.map((p) => Object.assign(
    document.createElement('option'), { value: p })));
  render();
}

function signedIn(doc) {
  session = doc;
  $('who-name').textContent = `Signed in as ${doc.user}`;
  openLive();
  route();
}

$('sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new URLSearchParams(new FormData(ev.target));
  const r = await fetch('/ui/session', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  const doc = await r.json().catch(() => null);
  $('password').value = '';
  if (r.status === 200 && doc) { $('sign-in-error').textContent = ''; signedIn(doc); return; }
  $('sign-in-error').textContent = doc && doc.description ? doc.description :
    `Sign-in failed (${r.status}).`;
});

$('cases-more').addEventListener('click', () => { pages++; load(); });

$('sign-out').addEventListener('click', async () => {
  closeLive();
  await api('POST', '/ui/session/end');
  session = null;
  cases = [];
  show('sign-in');
});

// ---- opening a case: every required field is checked here before anything is sent ----

function preservation() { return $('oc-kind').value === 'preservation'; }
function interference() { return $('oc-kind').value === 'interference'; }

$('oc-kind').addEventListener('change', () => {
  $('oc-preservation').hidden = !preservation();
  $('oc-interference').hidden = !interference();
});

// "T0002, T0014.001" -> ["T0002", "T0014.001"]; null if one is not a DISARM technique id
function disarmIds(text) {
  const ids = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return ids.length && ids.every((t) => /^T\d{4}(\.\d{3})?$/.test(t)) ? ids : null;
}

$('open-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('open-error').textContent = '';
  $('open-done').textContent = '';
  const needed = [$('oc-partner'), $('oc-summary')];
  if (preservation()) needed.push(...$('oc-preservation').querySelectorAll('[data-field]'));
  if (interference()) needed.push($('oc-disarm'));
  for (const el of needed) el.removeAttribute('aria-invalid');
  const missing = needed.filter((el) => el.value.trim() === '');
  if (missing.length) {
    for (const el of missing) el.setAttribute('aria-invalid', 'true');
    const names = missing.map((el) => document.querySelector(`label[for="${el.id}"]`).textContent);
    $('open-error').textContent = `Not sent: fill in ${names.join(', ')}.`;
    missing[0].focus();
    return;
  }
  if (interference() && !disarmIds($('oc-disarm').value)) {
    $('oc-disarm').setAttribute('aria-invalid', 'true');
    $('open-error').textContent = 'Not sent: the DISARM techniques must be ids such as T0002 ' +
      'or T0014.001, separated by commas.';
    $('oc-disarm').focus();
    return;
  }
  const details = { summary: $('oc-summary').value.trim() };
  if (interference()) details.disarm_techniques = disarmIds($('oc-disarm').value);
  if (preservation()) {
    for (const el of $('oc-preservation').querySelectorAll('[data-field]')) {
      details[el.dataset.field] = el.value.trim();
    }
    details.mla_to_follow = $('oc-mla_to_follow').checked;
  }
  const r = await api('POST', '/api/v1/cases',
    { partner: $('oc-partner').value.trim(), kind: $('oc-kind').value, details });
  if (r.status !== 201) {
    $('open-error').textContent = `Not sent (${r.status}): ` +
      `${r.doc && r.doc.description ? r.doc.description : 'the node refused it'}`;
    return;
  }
  $('open-done').textContent = `Sent: case ${r.doc.id} with ${r.doc.partner}.`;
  ev.target.reset();
  $('oc-preservation').hidden = true;
  $('oc-interference').hidden = true;
  await load();
});

setInterval(() => { if (session) render(); }, 1000);
// Polled until the live stream comes: a partner's case shows within 2 s.
function refresh() { if (session && shownCase) loadCase(); else if (session) load(); }

// Live: the node says when its store changed (/api/v1/events, Server-Sent Events) and the
// page reads again at once. Without the stream (closed, refused, reconnecting) it polls.
let live = null;
let liveOpen = false;
let lastPoll = 0;

function openLive() {
  if (live || typeof EventSource === 'undefined') return;
  live = new EventSource('/api/v1/events');
  live.addEventListener('hello', () => { liveOpen = true; $('live').textContent = 'Live'; });
  live.addEventListener('change', () => refresh());
  live.addEventListener('error', () => {
    liveOpen = false;
    $('live').textContent = 'Polling every 1.5 s (the live stream reconnects)';
  });
}

function closeLive() {
  if (live) live.close();
  live = null;
  liveOpen = false;
  $('live').textContent = '';
}

setInterval(() => {
  const now = Date.now();
  if (now - lastPoll >= (liveOpen ? 15000 : 1500)) { lastPoll = now; refresh(); }
}, 500);

(async () => {
  const r = await api('GET', '/ui/session');
  if (r.status === 200 && r.doc && r.doc.signed_in) signedIn(r.doc); else show('sign-in');
})();
