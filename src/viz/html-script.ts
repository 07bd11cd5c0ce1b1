/**
 * The replay viewer's browser code, as a string inlined into the page (replay-html.ts): plain ES5
 * in an IIFE, no modules and no fetch, so the page works from disk through file://.
 *
 * It reads the frames (replay-frames.ts) from the `viewer-data` JSON block, rebuilds the World of
 * any step from the base snapshot plus the frames' changes (with a keyframe every 64 steps), and
 * redraws the step, the World tables and the statechart highlights when the slider, the buttons,
 * a click on an event or the arrow keys move. Written without backticks or `${`, so it can sit in
 * a template literal untouched.
 */
export const VIEWER_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('viewer-data').textContent);
  var frames = data.frames;
  var byId = function (id) { return document.getElementById(id); };
  var ENT = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return ENT[c]; }); }
  function empty() { return { objects: new Map(), vmm: new Map(), instances: [], kernel: '' }; }
  function copy(st) { return { objects: new Map(st.objects), vmm: new Map(st.vmm), instances: st.instances, kernel: st.kernel }; }
  function apply(st, ch) {
    (ch.od || []).forEach(function (id) { st.objects.delete(id); });
    (ch.os || []).forEach(function (row) { st.objects.set(row.id, row); });
    (ch.vd || []).forEach(function (p) { st.vmm.delete(p); });
    (ch.vs || []).forEach(function (pv) { st.vmm.set(pv[0], pv[1]); });
    if (ch.vi) st.instances = ch.vi;
    if (ch.w !== undefined) st.kernel = ch.w;
    return st;
  }
  var KEY = 64;
  var keyframes = [apply(empty(), data.base)];
  function stateAt(i) {
    var k = Math.floor(i / KEY);
    while (keyframes.length <= k) {
      var j = keyframes.length;
      var st = copy(keyframes[j - 1]);
      for (var f = (j - 1) * KEY; f < j * KEY; f++) apply(st, frames[f]);
      keyframes.push(st);
    }
    var out = copy(keyframes[k]);
    for (var g = k * KEY; g <= i; g++) apply(out, frames[g]);
    return out;
  }
  function objLabel(row) { return row.type + ' ' + row.id + (row.names.length ? ' (' + row.names.join(', ') + ')' : ''); }
  function lines(list, cls) {
    return (list || []).map(function (t) { return '<pre class="' + cls + '">' + esc(t) + '</pre>'; }).join('');
  }
  var list = byId('events');
  frames.forEach(function (fr, i) {
    var li = document.createElement('li');
    li.dataset.index = String(i);
    if (fr.f) li.classList.add('fail');
    if (i === data.failure) li.classList.add('first-fail');
    if (fr.x && fr.x.k === 'first-difference') li.classList.add('trace-diff');
    if (fr.x && fr.x.k === 'after') li.classList.add('trace-after');
    li.innerHTML = '<span class="ln">L' + fr.l + '</span> ' + esc(fr.e) + ' &rarr; ' + esc(fr.o);
    li.title = fr.e + ' -> ' + fr.o;
    li.addEventListener('click', function () { show(i); });
    list.appendChild(li);
  });
  var slider = byId('slider');
  slider.max = String(Math.max(frames.length - 1, 0));
  var current = -1;
  function renderObjects(st, fr) {
    var changed = new Set((fr.os || []).map(function (r) { return r.id; }));
    var rows = Array.from(st.objects.values()).sort(function (a, b) { return a.id - b.id; });
    var html = rows.map(function (r) {
      var refs = r.refs.map(function (p) { return p[0] + ' &rarr; ' + p[1]; }).join(', ');
      var att = r.att.map(function (p) { return (p[0] === 0 ? 'RID' : 'PASID ' + p[0]) + ' &rarr; ' + p[1]; }).join(', ');
      return '<tr class="' + (changed.has(r.id) ? 'changed' : '') + '" data-id="' + r.id + '"><td>' + r.id + '</td><td>' +
        esc(r.type) + '</td><td>' + esc(r.names.join(' ')) + '</td><td class="state">' + esc(r.state || '') +
        (r.machine ? ' <span class="muted">(' + esc(r.machine) + ')</span>' : '') + '</td><td>' +
        (r.users === null ? '' : r.users) + '</td><td>' + refs + '</td><td>' + att + '</td><td class="mono">' + esc(r.info) + '</td></tr>';
    }).join('');
    byId('objects').innerHTML = rows.length ? html : '<tr><td colspan="8" class="muted">no objects</td></tr>';
    var gone = (fr.od || []).map(function (id) { return 'ID ' + id; });
    byId('deleted').textContent = gone.length ? 'freed by this event: ' + gone.join(', ') : '';
    var att = [];
    rows.forEach(function (r) {
      var dev = /(?:^| )dev=(\S+)/.exec(r.info);
      r.att.forEach(function (p) {
        var h = st.objects.get(p[1]);
        att.push('<tr><td>' + esc(dev ? dev[1] : '') + '</td><td>' + r.id + '</td><td>' + (p[0] === 0 ? 'RID' : p[0]) +
          '</td><td>' + p[1] + (h ? ' ' + esc(h.type) + ' <span class="state">' + esc(h.state || '') + '</span>' : '') + '</td></tr>');
      });
    });
    byId('attachments').innerHTML = att.length ? att.join('') : '<tr><td colspan="4" class="muted">no attachments</td></tr>';
  }
  function renderVmm(st, fr) {
    var changed = new Set((fr.vs || []).map(function (pv) { return pv[0]; }));
    var rows = Array.from(st.vmm.entries()).map(function (pv) {
      return '<tr class="' + (changed.has(pv[0]) ? 'changed' : '') + '"><td class="mono">' + esc(pv[0]) + '</td><td class="mono">' + esc(pv[1]) + '</td></tr>';
    });
    byId('vmm-section').hidden = rows.length === 0;
    byId('vmm').innerHTML = rows.join('');
  }
  // The transitions the step took: each object or QEMU instance whose state changed (a new one: from
  // the initial arrow), as the Graphviz edge title "from->to" of its machine.
  function transitions(prev, st) {
    var taken = {};
    function mark(machine, from, to) {
      if (!machine || from === to) return;
      (taken[machine] = taken[machine] || {})[from + '->' + to] = true;
    }
    st.objects.forEach(function (r, id) {
      if (r.state === null) return;
      var p = prev.objects.get(id);
      mark(r.machine, p && p.state !== null && p.machine === r.machine ? p.state : '__initial', r.state);
    });
    var before = new Map();
    prev.instances.forEach(function (v) { before.set(v.machine + '\n' + v.path, v.state); });
    st.instances.forEach(function (v) {
      var p = before.get(v.machine + '\n' + v.path);
      mark(v.machine, p === undefined ? '__initial' : p, v.state);
    });
    return taken;
  }
  // An edge's transition: its class 'from->to' (machines-dot.ts; a label drawn as a node carries it
  // too), else its Graphviz title.
  function transitionOf(el) {
    var named = Array.prototype.filter.call(el.classList, function (c) { return c.indexOf('->') > 0; })[0];
    if (named) return named;
    var title = el.querySelector('title');
    return title ? title.textContent : '';
  }
  function renderTaken(taken) {
    Array.prototype.forEach.call(document.querySelectorAll('.machine'), function (el) {
      var edges = taken[el.dataset.machine] || {};
      var shown = [];
      Array.prototype.forEach.call(el.querySelectorAll('g.edge, g.node.transition-label'), function (edge) {
        var name = transitionOf(edge);
        var hit = name !== '' && Object.prototype.hasOwnProperty.call(edges, name);
        edge.classList.toggle('taken', hit);
        if (hit && shown.indexOf(name) < 0) shown.push(name);
      });
      el.querySelector('.taken-list').textContent = shown.length === 0 ? '' :
        'just taken: ' + shown.map(function (t) {
          return t.indexOf('__initial->') === 0 ? 'new \u2192 ' + t.slice(11) : t.replace('->', ' \u2192 ');
        }).join(', ');
    });
  }
  // A failure that names two values (the cached and the guest's entry: "holds {A} but ... is {B}";
  // an expectation: "expected A, got B") is shown as two columns, the fields that differ marked.
  function fieldsOf(text) {
    var out = [];
    text.trim().split(/\s+/).forEach(function (pair) {
      var eq = pair.indexOf('=');
      if (eq > 0) out.push([pair.slice(0, eq), pair.slice(eq + 1)]);
    });
    return out;
  }
  function sides(line) {
    var m = /^(.*?)\{([^{}]*)\}(.*?)\{([^{}]*)\}/.exec(line);
    if (m) {
      var a = fieldsOf(m[2]);
      var b = fieldsOf(m[4]);
      if (a.length > 0 && b.length > 0) return { left: m[1].replace(/^invariant [\w-]+: /, ''), right: m[3], a: a, b: b };
    }
    var e = /expected (.*), got (.*)$/.exec(line);
    if (e) return { left: 'expected', right: 'got', a: [['', e[1]]], b: [['', e[2]]] };
    return null;
  }
  function sidesTable(sd) {
    var names = [];
    sd.a.concat(sd.b).forEach(function (p) { if (names.indexOf(p[0]) < 0) names.push(p[0]); });
    function get(list, name) {
      var hit = list.filter(function (p) { return p[0] === name; })[0];
      return hit ? hit[1] : '';
    }
    var rows = names.map(function (name) {
      var x = get(sd.a, name);
      var y = get(sd.b, name);
      return '<tr' + (x !== y ? ' class="differs"' : '') + '><th>' + esc(name) + '</th><td>' + esc(x) +
        '</td><td>' + esc(y) + '</td></tr>';
    }).join('');
    return '<table class="sides"><thead><tr><th></th><th>' + esc(sd.left.trim()) + '</th><th>' +
      esc(sd.right.trim()) + '</th></tr></thead><tbody>' + rows + '</tbody></table>';
  }
  // --expect-trace: the model's host operations next to the real trace's at the same positions.
  var SIDES_NOTE = { match: 'the trace agrees', 'first-difference': 'first difference from the trace',
    after: 'after the first difference: paired by position only' };
  function renderExpected(fr) {
    var box = byId('step-expected');
    box.hidden = !fr.x;
    if (!fr.x) { box.innerHTML = ''; return; }
    box.className = fr.x.k;
    var rows = fr.x.r.map(function (r) {
      var cls = r.d ? ' class="differs"' : '';
      return '<tr' + cls + '><td class="mono">' + esc(r.m === undefined ? '(the model predicts nothing more)' : r.m) +
        '</td><td class="ln">' + (r.l === undefined ? '' : 'L' + r.l) + '</td><td class="mono">' +
        esc(r.t === undefined ? '(the trace has no more host operations)' : r.t) + '</td></tr>' +
        (r.d ? '<tr class="why"><td colspan="3">' + esc(r.d.length ? r.d.join('; ') : 'the first difference') + '</td></tr>' : '');
    }).join('');
    box.innerHTML = '<h2>Host operations: model vs QEMU trace</h2><div class="sides-note">' + esc(SIDES_NOTE[fr.x.k]) +
      '</div><table class="expected"><thead><tr><th>model predicts</th><th>line</th><th>QEMU traced</th></tr></thead><tbody>' +
      rows + '</tbody></table>';
  }
  function renderMachines(st) {
    var seen = {};
    var known = {};
    Array.prototype.forEach.call(document.querySelectorAll('.machine'), function (el) { known[el.dataset.machine] = true; });
    function add(machine, state, label) {
      var key = machine && known[machine] ? machine : '';
      seen[key] = seen[key] || {};
      (seen[key][state] = seen[key][state] || []).push(label);
    }
    st.objects.forEach(function (r) { if (r.state !== null) add(r.machine, r.state, objLabel(r)); });
    st.instances.forEach(function (v) { add(v.machine, v.state, 'QEMU ' + v.path); });
    Array.prototype.forEach.call(document.querySelectorAll('.machine'), function (el) {
      var states = seen[el.dataset.machine] || {};
      el.classList.toggle('idle', Object.keys(states).length === 0);
      // Charts with instances first, so the ones that matter sit next to the event list.
      el.style.order = Object.keys(states).length === 0 ? '1' : '0';
      Array.prototype.forEach.call(el.querySelectorAll('g.node'), function (node) {
        var title = node.querySelector('title');
        node.classList.toggle('active', !!title && Object.prototype.hasOwnProperty.call(states, title.textContent));
      });
      el.querySelector('ul').innerHTML = Object.keys(states).map(function (s) {
        return '<li><span class="state">' + esc(s) + '</span>: ' + esc(states[s].join(', ')) + '</li>';
      }).join('');
    });
    var other = seen[''] || {};
    byId('other-instances').innerHTML = Object.keys(other).map(function (s) {
      return '<li><span class="state">' + esc(s) + '</span>: ' + esc(other[s].join(', ')) + ' <span class="muted">(no diagram)</span></li>';
    }).join('');
  }
  function show(i) {
    if (frames.length === 0) return;
    i = Math.max(0, Math.min(frames.length - 1, i));
    var fr = frames[i];
    var st = stateAt(i);
    if (current >= 0 && list.children[current]) list.children[current].classList.remove('current');
    Array.prototype.forEach.call(list.children, function (li, j) { li.classList.toggle('future', j > i); });
    current = i;
    var li = list.children[i];
    li.classList.add('current');
    li.scrollIntoView({ block: 'nearest' });
    slider.value = String(i);
    byId('position').textContent = 'event ' + (data.start + i + 1) + ' of ' + data.events + ' (line ' + fr.l + ')';
    byId('step-event').textContent = 'L' + fr.l + '  ' + fr.e;
    byId('step-outcome').textContent = fr.o + (fr.k === 'ok' ? '  (as expected)' : '');
    byId('step-ops').innerHTML = lines(fr.h, 'op') + lines(fr.t, 'trace');
    var fails = byId('step-failures');
    fails.hidden = !fr.f;
    fails.innerHTML = (i === data.failure ? '<div>first failure</div>' : '') + lines(fr.f, 'failure') +
      (fr.f || []).map(sides).filter(Boolean).map(sidesTable).join('');
    renderExpected(fr);
    byId('kernel').textContent = st.kernel;
    renderObjects(st, fr);
    renderVmm(st, fr);
    renderMachines(st);
    renderTaken(transitions(i === 0 ? apply(empty(), data.base) : stateAt(i - 1), st));
  }
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  byId('first').addEventListener('click', function () { show(0); });
  byId('prev').addEventListener('click', function () { show(current - 1); });
  byId('next').addEventListener('click', function () { show(current + 1); });
  byId('last').addEventListener('click', function () { show(frames.length - 1); });
  var jump = byId('jump');
  jump.disabled = data.failure < 0;
  jump.addEventListener('click', function () { show(data.failure); });
  var traceDiff = data.expected ? data.expected.difference : -1;
  var jumpTrace = byId('jump-trace');
  if (jumpTrace) {
    jumpTrace.disabled = traceDiff < 0;
    jumpTrace.addEventListener('click', function () { show(traceDiff); });
  }
  document.addEventListener('keydown', function (ev) {
    if (ev.target === slider) return;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') show(current + 1);
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') show(current - 1);
    else if (ev.key === 'Home') show(0);
    else if (ev.key === 'End') show(frames.length - 1);
    else if (ev.key === 'f' && data.failure >= 0) show(data.failure);
    else if (ev.key === 'd' && traceDiff >= 0) show(traceDiff);
    else return;
    ev.preventDefault();
  });
  // Opened at the first disagreement with the trace, when there is one: that is what was asked.
  show(traceDiff >= 0 ? traceDiff : 0);
})();
`;
