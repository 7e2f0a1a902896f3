// Opens tensorfab's HTML reports in headless Chromium (Debian's chromium,
// driven by playwright-core) and checks what a reader would: no console
// errors, every chart drawn, the table's numbers those of the JSON output.
// A screenshot of each report is saved in the output folder (under the
// build folder when ctest runs it).
//
//   node report_test.mjs TENSORFAB DATA_DIR OUT_DIR

import { execFileSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [bin, data, outArg] = process.argv.slice(2);
if (!bin || !data || !outArg) {
  console.error('usage: node report_test.mjs TENSORFAB DATA_DIR OUT_DIR');
  process.exit(2);
}
const out = resolve(outArg);
mkdirSync(out, { recursive: true });
const tensorfab = (...args) => execFileSync(bin, ['--data', data, ...args], { cwd: out, encoding: 'utf8' });

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

// The study's report and its JSON, from the same inputs.
const chips = 'seed-2nm,b200,h100-sxm';
const studyHtml = join(out, 'study.html');
tensorfab('study', '--chips', chips, '--html', studyHtml, '--trace', join(out, 'study-trace.json'));
const studyJson = JSON.parse(tensorfab('study', '--chips', chips, '--format', 'json'));

// A sweep's report.
const sweepOut = join(out, 'sweep-results');
tensorfab('sweep', join(data, 'sweeps', 'seed-design.yaml'), '--force', '--progress', 'none', '--out', sweepOut);
const sweepHtml = join(out, 'sweep.html');
tensorfab('report', sweepOut, '--html', sweepHtml);

const executablePath = [process.env.TFAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  for (const [name, file] of [['study', studyHtml], ['sweep', sweepHtml]]) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto('file://' + file);
    check(errors.length === 0, `${name}: console errors: ${errors.join('; ')}`);

    // Every chart is there, laid out, and draws something.
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((s) => {
        const box = s.getBoundingClientRect();
        return {
          label: s.getAttribute('aria-label'),
          width: box.width,
          height: box.height,
          marks: s.querySelectorAll('circle, polyline, rect.bar').length,
        };
      }),
    );
    check(charts.length >= (name === 'study' ? 6 : 1), `${name}: only ${charts.length} charts`);
    for (const c of charts) {
      check(c.width > 100 && c.height > 100, `${name}: chart '${c.label}' is ${c.width}x${c.height}`);
      check(c.marks > 0, `${name}: chart '${c.label}' draws nothing`);
    }
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });

    if (name === 'study') {
      // The comparison table's rows are the JSON's results, figure for figure.
      const rows = await page.$$eval('#comparison tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      const header = await page.$$eval('#comparison thead th', (ths) => ths.map((th) => th.textContent));
      const tokens = header.indexOf('tok/s/chip');
      const batch = header.indexOf('batch');
      check(tokens >= 0 && batch >= 0, 'study: the table lacks tok/s/chip or batch');
      check(rows.length === studyJson.results.length, `study: ${rows.length} rows, ${studyJson.results.length} results`);
      studyJson.results.forEach((r, i) => {
        const row = rows[i] ?? [];
        check(row[0] === r.chip, `study: row ${i} is ${row[0]}, the JSON says ${r.chip}`);
        const shown = Number(row[tokens]);
        check(shown === Math.round(r.output_tokens_per_s_per_chip),
              `study: ${r.chip} shows ${row[tokens]} tok/s/chip, the JSON ${r.output_tokens_per_s_per_chip}`);
        check(Number.parseInt(row[batch], 10) === r.scenario.batch,
              `study: ${r.chip} shows batch ${row[batch]}, the JSON ${r.scenario.batch}`);
      });
    } else {
      const front = await page.$$eval('#pareto tbody tr', (trs) => trs.length);
      check(front > 0, 'sweep: the front table is empty');
    }
    await page.close();
  }
} finally {
  await browser.close();
}

if (failures.length > 0) {
  for (const f of failures) console.error('FAIL: ' + f);
  process.exit(1);
}
console.log(`ok: study and sweep reports open cleanly; screenshots in ${out}`);
