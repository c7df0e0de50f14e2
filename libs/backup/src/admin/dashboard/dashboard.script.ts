/**
 * The dashboard's browser script, plain ES2017 with no dependency and no build step. It is kept
 * as text (String.raw keeps its backslashes) and inlined into the page, so the page works under
 * whatever prefix (and global prefix) the host mounts it at.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var KEY = 'nestBackupAdminToken';
  var base = location.pathname.replace(/\/+$/, '');
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var polling = null;

  function token() { return sessionStorage.getItem(KEY); }

  function api(method, path, body) {
    var init = { method: method, headers: { Authorization: 'Bearer ' + token() } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(base + '/' + path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.status === 401 || res.status === 403) { sessionStorage.removeItem(KEY); showLogin('The token was refused. Enter it again.'); throw new Error('refused'); }
        return { status: res.status, data: data };
      });
    });
  }

  function showLogin(message) {
    $('login').hidden = false;
    $('app').hidden = true;
    $('login-message').textContent = message || 'This dashboard needs the admin token (BACKUP_ADMIN_TOKEN).';
  }

  function text(el, value) { el.textContent = value; return el; }
  function make(tag, cls, value) { var el = document.createElement(tag); if (cls) el.className = cls; if (value !== undefined) el.textContent = value; return el; }
  function bytes(n) {
    if (n === null || n === undefined) return '';
    var units = ['B', 'KB', 'MB', 'GB', 'TB']; var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(2) : String(n)) + ' ' + units[i];
  }

  function renderDisks(list) {
    var body = $('disks').querySelector('tbody');
    body.textContent = '';
    list.forEach(function (d) {
      var row = make('tr');
      row.dataset.disk = d.disk;
      row.appendChild(make('td', '', d.disk));
      row.appendChild(make('td', d.healthy ? 'ok' : 'bad', d.reachable ? (d.healthy ? 'healthy' : 'unhealthy') : 'unreachable'));
      row.appendChild(make('td', 'newest', d.newestBackup ? d.newestBackup.split('/').pop() : 'no backups'));
      row.appendChild(make('td', 'age', d.newestBackupAge || ''));
      row.appendChild(make('td', 'count', String(d.count)));
      row.appendChild(make('td', 'used', d.usedStorage));
      body.appendChild(row);
    });
  }

  function renderHealth(res) {
    var el = $('health');
    var healthy = res.status === 200 && res.data && res.data.healthy;
    el.className = 'badge ' + (healthy ? 'ok' : 'bad');
    text(el, healthy ? 'Healthy' : 'Unhealthy');
    var reasons = $('health-reasons');
    reasons.textContent = '';
    ((res.data && res.data.destinations) || []).forEach(function (d) {
      (d.failures || []).forEach(function (f) { reasons.appendChild(make('li', '', d.destination + ': ' + f.check + ': ' + f.message)); });
    });
  }

  // A bar per record, scaled to the largest; the title shows the value and the date.
  function barChart(id, points, label) {
    var holder = $(id);
    holder.textContent = '';
    if (!points.length) { holder.appendChild(make('p', 'empty', 'No runs recorded yet.')); return; }
    var w = 320, h = 120, pad = 4, max = Math.max.apply(null, points.map(function (p) { return p.value; })) || 1;
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + (h + 16));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    var bw = Math.max(2, (w - pad * 2) / points.length - 2);
    points.forEach(function (p, i) {
      var bh = Math.max(1, (p.value / max) * h);
      var r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', String(pad + i * (bw + 2)));
      r.setAttribute('y', String(h - bh));
      r.setAttribute('width', String(bw));
      r.setAttribute('height', String(bh));
      r.setAttribute('class', 'bar ' + p.outcome);
      r.setAttribute('data-value', String(p.value));
      r.setAttribute('data-at', p.at);
      var t = document.createElementNS(SVG, 'title');
      t.textContent = p.at + ': ' + p.label;
      r.appendChild(t);
      svg.appendChild(r);
    });
    var cap = document.createElementNS(SVG, 'text');
    cap.setAttribute('x', String(pad)); cap.setAttribute('y', String(h + 13)); cap.setAttribute('class', 'caption');
    cap.textContent = 'largest ' + points.reduce(function (a, p) { return p.value > a.value ? p : a; }).label;
    svg.appendChild(cap);
    holder.appendChild(svg);
  }

  // One dot per verify (upper row) and test restore (lower row): green passed, red failed.
  function outcomeChart(id, points) {
    var holder = $(id);
    holder.textContent = '';
    if (!points.length) { holder.appendChild(make('p', 'empty', 'No verify or test restore recorded yet.')); return; }
    var w = 320, step = Math.min(24, (w - 80) / points.length);
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' 60');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'verify and test-restore outcomes');
    [['verify', 18], ['test restore', 46]].forEach(function (row) {
      var l = document.createElementNS(SVG, 'text');
      l.setAttribute('x', '0'); l.setAttribute('y', String(row[1] + 4)); l.setAttribute('class', 'caption');
      l.textContent = row[0];
      svg.appendChild(l);
    });
    points.forEach(function (p, i) {
      var c = document.createElementNS(SVG, 'circle');
      c.setAttribute('cx', String(84 + i * step));
      c.setAttribute('cy', p.testRestore ? '46' : '18');
      c.setAttribute('r', '7');
      c.setAttribute('class', 'dot ' + (p.ok ? 'success' : 'failure'));
      c.setAttribute('data-kind', p.testRestore ? 'test-restore' : 'verify');
      c.setAttribute('data-outcome', p.ok ? 'success' : 'failure');
      var t = document.createElementNS(SVG, 'title');
      t.textContent = p.at + ': ' + (p.testRestore ? 'test restore' : 'verify') + ' ' + (p.ok ? 'passed' : 'FAILED') + (p.backup ? ' (' + p.backup + ')' : '');
      c.appendChild(t);
      svg.appendChild(c);
    });
    holder.appendChild(svg);
  }

  function renderHistory(runs, verifies) {
    var done = runs.records.filter(function (r) { return r.outcome !== 'failure' || r.sizeBytes; }).reverse();
    barChart('size-chart', done.map(function (r) { return { at: r.startedAt, value: r.sizeBytes || 0, label: bytes(r.sizeBytes || 0), outcome: r.outcome }; }), 'archive size per run');
    barChart('duration-chart', runs.records.slice().reverse().map(function (r) { return { at: r.startedAt, value: r.durationMs, label: (r.durationMs / 1000).toFixed(1) + ' s', outcome: r.outcome }; }), 'duration per run');
    var points = [];
    verifies.records.slice().reverse().forEach(function (r) {
      var backups = (r.details && r.details.backups) || [];
      if (!backups.length) points.push({ at: r.startedAt, ok: r.outcome === 'success', testRestore: false, backup: r.backupName });
      backups.forEach(function (b) {
        points.push({ at: r.startedAt, ok: !!b.ok, testRestore: !!b.testRestore, backup: b.backupName });
      });
    });
    outcomeChart('verify-chart', points);
  }

  function renderJob(job) {
    var el = $('job');
    el.textContent = '';
    if (!job) { el.appendChild(make('p', 'empty', 'No job running.')); return; }
    el.dataset.state = job.state;
    el.dataset.id = job.id;
    el.appendChild(make('p', 'job-title', job.kind + ' — ' + job.state + ' (started by ' + job.caller + ')'));
    var p = job.progress || {};
    var line = (p.step || '') + (p.bytes ? ' · ' + bytes(p.bytes) + ' written' : '');
    (p.uploaded || []).forEach(function (u) { line += ' · ' + u.disk + ' ' + bytes(u.bytes) + ' uploaded'; });
    el.appendChild(make('p', 'job-progress', line));
    if (job.state === 'running' || job.state === 'queued') { var bar = make('progress'); el.appendChild(bar); }
    if (job.error) el.appendChild(make('p', 'bad', job.error));
    if (job.state === 'succeeded' && job.result && job.result.key) el.appendChild(make('p', 'ok', 'Stored ' + job.result.key));
  }

  function refresh() {
    return Promise.all([
      api('GET', 'backups'), api('GET', 'health'), api('GET', 'jobs'),
      api('GET', 'audit?operation=run&pageSize=100'), api('GET', 'audit?operation=verify&pageSize=100'),
    ]).then(function (r) {
      renderDisks(r[0].data || []);
      renderHealth(r[1]);
      var jobs = r[2].data || [];
      var active = jobs.filter(function (j) { return j.state === 'running' || j.state === 'queued'; })[0];
      renderJob(active || jobs[0]);
      renderHistory(r[3].data, r[4].data);
      text($('updated'), 'Updated ' + new Date().toLocaleTimeString());
      if (active) follow(active.id);
    }).catch(function (err) { if (err.message !== 'refused') text($('error'), 'Could not load: ' + err.message); });
  }

  function follow(id) {
    if (polling) return;
    polling = setInterval(function () {
      api('GET', 'jobs/' + id).then(function (res) {
        renderJob(res.data);
        if (res.data && res.data.state !== 'running' && res.data.state !== 'queued') {
          clearInterval(polling); polling = null;
          $('run-button').disabled = false;
          refresh();
        }
      }).catch(function () { clearInterval(polling); polling = null; });
    }, 1000);
  }

  function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    text($('error'), '');
    refresh();
  }

  $('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var value = $('token-input').value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    $('token-input').value = '';
    start();
  });
  $('run-button').addEventListener('click', function () {
    $('run-button').disabled = true;
    text($('error'), '');
    api('POST', 'jobs/run', {}).then(function (res) {
      if (res.status !== 202) { $('run-button').disabled = false; text($('error'), (res.data && res.data.message) || 'The run was not started'); return; }
      renderJob(res.data);
      follow(res.data.id);
    }).catch(function (err) { $('run-button').disabled = false; if (err.message !== 'refused') text($('error'), err.message); });
  });
  $('refresh-button').addEventListener('click', refresh);
  $('logout-button').addEventListener('click', function () { sessionStorage.removeItem(KEY); showLogin(); });

  if (token()) start(); else showLogin();
})();
`;
