// Opens a fungible page (a report file or serve's /ui) in Debian's headless
// Chromium through playwright-core and checks it as a user would see it:
//   - no console error and no uncaught exception while it loads and redraws;
//   - every chart (window.fungibleCharts, ECharts instances) has at least one
//     series with a finite value, and a table of its numbers under it;
//   - `--expect a,b,c`: those charts are there;
//   - every control (<select data-control>) changes what some chart draws;
//   - screenshots (whole page and each view) at a laptop's 1366 px, into
//     --shots DIR.
// Dashboard mode (--token T): the page asks for a token; /ui/data answers 401
// without one; after the token is entered the charts are drawn; with
// --mutate CMD, CMD is run and the page must redraw with other numbers.
//
// Usage: node page_check.js (--file report.html | --url URL) --shots DIR
//        [--expect ids] [--token T --mutate 'shell command'] [--shot-prefix p]
// Exit 0 when every check passes; 1 with the failures listed otherwise.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execSync } = require('child_process');

const WEB = path.resolve(__dirname, '../../web/node_modules');
const { chromium } = require(path.join(WEB, 'playwright-core'));

const CHROMIUM = process.env.FUNGIBLE_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const a = { expect: [], prefix: '' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--file') { a.url = 'file://' + path.resolve(v); i++; }
    else if (k === '--url') { a.url = v; i++; }
    else if (k === '--shots') { a.shots = v; i++; }
    else if (k === '--expect') { a.expect = v.split(',').filter(Boolean); i++; }
    else if (k === '--token') { a.token = v; i++; }
    else if (k === '--mutate') { a.mutate = v; i++; }
    else if (k === '--shot-prefix') { a.prefix = v; i++; }
    else throw new Error('unknown argument ' + k);
  }
  if (!a.url || !a.shots) throw new Error('usage: page_check.js (--file F | --url U) --shots DIR [--expect ids] [--token T]');
  return a;
}

// What every chart draws: id -> [series name, values...]; the test's view of
// "what is drawn".
async function drawn(page) {
  return page.evaluate(() => window.fungibleCharts.map((c) => {
    const o = c.chart.getOption();
    return {
      id: c.id,
      title: c.title,
      series: (o.series || []).map((s) => ({ name: s.name, type: s.type, data: s.data })),
      xAxis: (o.xAxis || []).map((x) => x.data || null),
      yAxisNames: (o.yAxis || []).map((y) => y.name || ''),
      xAxisNames: (o.xAxis || []).map((x) => x.name || ''),
      visualMap: (o.visualMap || []).length,
      tableRows: document.querySelectorAll('[data-chart="' + c.id + '"] details table tbody tr').length,
      caption: (document.querySelector('[data-chart="' + c.id + '"] .caption') || {}).textContent || '',
    };
  }));
}

function finiteValues(data) {
  let n = 0;
  for (const d of data || []) {
    const v = Array.isArray(d) ? d[d.length - 1] : (d !== null && typeof d === 'object' ? d.value : d);
    if (typeof v === 'number' && Number.isFinite(v)) n++;
  }
  return n;
}

async function main() {
  const a = parseArgs(process.argv);
  fs.mkdirSync(a.shots, { recursive: true });
  const failures = [];
  const fail = (m) => { failures.push(m); console.log('FAIL ' + m); };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fungible-chromium-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1366, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
    page.on('pageerror', (e) => errors.push('exception: ' + e.message));
    page.on('requestfailed', (r) => errors.push('request failed: ' + r.url()));
    await page.goto(a.url, { waitUntil: 'load' });

    if (a.token !== undefined) {
      // The shell holds no data: a token form, and the data endpoint refuses
      // a request without a token.
      await page.waitForSelector('form.login input#token', { timeout: 20000 });
      // (Asked outside the page: a refused fetch would be logged on its console.)
      const data = new URL('/ui/data', a.url).toString();
      const unauth = (await page.request.get(data)).status();
      if (unauth !== 401) fail('/ui/data without a token answered ' + unauth + ', not 401');
      const bad = (await page.request.get(data, { headers: { Authorization: 'Bearer nope' } })).status();
      if (bad !== 401) fail('/ui/data with a wrong token answered ' + bad + ', not 401');
      await page.fill('input#token', a.token);
      await page.click('form.login button');
    }
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
    await page.waitForTimeout(300);

    const before = await drawn(page);
    if (before.length === 0) fail('no chart on the page');
    for (const id of a.expect) if (!before.some((c) => c.id === id)) fail('chart "' + id + '" is missing');
    for (const c of before) {
      const values = c.series.reduce((n, s) => n + finiteValues(s.data), 0);
      if (values === 0) fail('chart "' + c.id + '" (' + c.title + ') draws no value');
      if (c.tableRows === 0) fail('chart "' + c.id + '" has no table of its numbers');
      if (!c.caption.trim()) fail('chart "' + c.id + '" has no caption');
      if (!c.title.trim()) fail('chart "' + c.id + '" has no title');
      const axisNames = c.xAxisNames.concat(c.yAxisNames).filter((x) => x.trim()).length;
      if (axisNames === 0 && c.visualMap === 0) fail('chart "' + c.id + '" names no axis unit');
    }
    console.log('charts: ' + before.map((c) => c.id + '(' + c.series.length + ' series)').join(', '));

    await page.screenshot({ path: path.join(a.shots, a.prefix + 'page.png'), fullPage: true });
    const sections = await page.$$('section.view');
    for (const s of sections) {
      const id = await s.getAttribute('id');
      await s.screenshot({ path: path.join(a.shots, a.prefix + id + '.png') });
    }

    // Each control changes what is drawn.
    const controls = await page.$$eval('select[data-control]', (xs) => xs.map((x) => ({ label: x.dataset.control, values: Array.from(x.options).map((o) => o.value), value: x.value })));
    for (const c of controls) {
      const other = c.values.find((v) => v !== c.value);
      if (other === undefined) { console.log('control ' + c.label + ': one choice only'); continue; }
      const was = JSON.stringify(await drawn(page));
      await page.selectOption('select[data-control="' + c.label + '"]', other);
      await page.waitForTimeout(200);
      const now = JSON.stringify(await drawn(page));
      if (was === now) fail('choosing ' + c.label + ' = ' + other + ' changed nothing drawn');
      else console.log('control ' + c.label + ' -> ' + other + ': redrawn');
      const sec = await page.$('select[data-control="' + c.label + '"]');
      const owner = await sec.evaluateHandle((x) => x.closest('section'));
      await owner.asElement().screenshot({ path: path.join(a.shots, a.prefix + 'control-' + c.label.toLowerCase() + '.png') });
      await page.selectOption('select[data-control="' + c.label + '"]', c.value);
    }

    if (a.mutate) {
      const was = JSON.stringify(await drawn(page));
      execSync(a.mutate, { stdio: 'inherit' });
      let changed = false;
      for (let i = 0; i < 40 && !changed; i++) {
        await page.waitForTimeout(500);
        changed = JSON.stringify(await drawn(page)) !== was;
      }
      if (!changed) fail('the dashboard did not redraw after: ' + a.mutate);
      else console.log('dashboard redrawn after the change');
      await page.screenshot({ path: path.join(a.shots, a.prefix + 'page-after.png'), fullPage: true });
    }
    for (const e of errors) fail(e);
  } finally {
    await context.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  if (failures.length) {
    console.log(failures.length + ' failure(s)');
    process.exit(1);
  }
  console.log('ok: ' + a.url);
}

main().catch((e) => { console.log('FAIL ' + (e && e.stack || e)); process.exit(1); });
