// SPDX-License-Identifier: MIT
// Frond templates inside the server: t4_res_template (inheritance, escaping),
// a missing or broken template is a 500 (details only with TINA4_DEBUG) and
// one log line, TINA4_DEBUG re-reads a changed file, and `tina4 render`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, oneProcess, startServer } from '../lib/server.mjs';

function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 't4tpl-'));
  const t = path.join(dir, 'templates');
  mkdirSync(t);
  writeFileSync(path.join(t, 'base.html'), '<title>{% block title %}Base{% endblock %}</title>\n<main>{% block content %}{% endblock %}</main>\n');
  writeFileSync(path.join(t, 'hello.html'),
    '{% extends "base.html" %}{% block title %}Hi {{ who }}{% endblock %}' +
    '{% block content %}{% for i in items %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}{% endblock %}');
  writeFileSync(path.join(t, 'broken.html'), 'line one\n{{ who|nosuchfilter }}\n');
  return { dir, t };
}

const get = async (srv, p) => {
  const r = await fetch(srv.url(p));
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
};

test('t4_res_template renders inheritance and escapes the context', async (t) => {
  const { dir, t: tdir } = project();
  const srv = await startServer('tests/servers/template_server', { env: { TINA4_TEMPLATES: tdir } });
  t.after(async () => { await srv.stop(); rmSync(dir, { recursive: true, force: true }); });
  const ok = await get(srv, '/page/hello.html?who=' + encodeURIComponent('<b>Ann</b>'));
  assert.equal(ok.status, 200);
  assert.match(ok.type, /^text\/html/);
  assert.equal(ok.body, '<title>Hi &lt;b&gt;Ann&lt;/b&gt;</title>\n<main>1,2,3</main>\n');
  const s = await get(srv, '/string?src=' + encodeURIComponent('{% include "base.html" %}{{ who|upper }}'));
  assert.equal(s.body, '<title>Base</title>\n<main></main>\nSTRING');
});

test('missing and broken templates: 500, plain page without TINA4_DEBUG, one log line each', async (t) => {
  const { dir, t: tdir } = project();
  const srv = await startServer('tests/servers/template_server', { env: { TINA4_TEMPLATES: tdir } });
  t.after(async () => { await srv.stop(); rmSync(dir, { recursive: true, force: true }); });
  const missing = await get(srv, '/page/nope.html');
  assert.equal(missing.status, 500);
  assert.doesNotMatch(missing.body, /nope\.html/);
  assert.match(missing.body, /500 Internal Server Error/);
  const broken = await get(srv, '/page/broken.html');
  assert.equal(broken.status, 500);
  assert.doesNotMatch(broken.body, /nosuchfilter/);
  // Log lines travel through a pipe: wait for both, then count.
  for (let i = 0; i < 100 && !/template broken\.html: /.test(srv.stderr()); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal((srv.stderr().match(/template nope\.html: /g) || []).length, 1, srv.stderr());
  assert.match(srv.stderr(), /template broken\.html: broken\.html:2:\d+: .*nosuchfilter/);
});

test('TINA4_DEBUG: the 500 page shows the error, and a changed template is re-read', async (t) => {
  const { dir, t: tdir } = project();
  const srv = await startServer('tests/servers/template_server', { env: { TINA4_TEMPLATES: tdir, TINA4_DEBUG: 'true' } });
  t.after(async () => { await srv.stop(); rmSync(dir, { recursive: true, force: true }); });
  const broken = await get(srv, '/page/broken.html');
  assert.equal(broken.status, 500);
  assert.match(broken.body, /broken\.html:2:\d+: .*nosuchfilter/);
  assert.equal((await get(srv, '/page/hello.html')).body, '<title>Hi world</title>\n<main>1,2,3</main>\n');
  writeFileSync(path.join(tdir, 'hello.html'), 'v2 {{ who }}');
  const later = new Date(Date.now() + 5000);
  utimesSync(path.join(tdir, 'hello.html'), later, later);
  assert.equal((await get(srv, '/page/hello.html')).body, 'v2 world');
});

test('without TINA4_DEBUG a parsed template stays cached', oneProcess('each worker has its own template cache'), async (t) => {
  const { dir, t: tdir } = project();
  const srv = await startServer('tests/servers/template_server', { env: { TINA4_TEMPLATES: tdir } });
  t.after(async () => { await srv.stop(); rmSync(dir, { recursive: true, force: true }); });
  assert.equal((await get(srv, '/page/hello.html')).body, '<title>Hi world</title>\n<main>1,2,3</main>\n');
  writeFileSync(path.join(tdir, 'hello.html'), 'v2 {{ who }}');
  const later = new Date(Date.now() + 5000);
  utimesSync(path.join(tdir, 'hello.html'), later, later);
  assert.equal((await get(srv, '/page/hello.html')).body, '<title>Hi world</title>\n<main>1,2,3</main>\n');
});

test('tina4 render: output, data file, error with line and column (exit 1)', () => {
  const { dir, t: tdir } = project();
  try {
    const data = path.join(dir, 'd.json');
    writeFileSync(data, JSON.stringify({ who: 'cli', items: [7] }));
    const ok = spawnSync(binary('tina4'), ['render', 'hello.html', '--data', data, '--templates', tdir], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '<title>Hi cli</title>\n<main>7</main>\n');
    const bad = spawnSync(binary('tina4'), ['render', 'broken.html', '--templates', tdir], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /broken\.html:2:\d+: .*nosuchfilter/);
    const none = spawnSync(binary('tina4'), ['render', 'nope.html', '--templates', tdir], { encoding: 'utf8' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /nope\.html/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
