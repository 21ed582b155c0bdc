// report.html in a real browser: a real leaky and a real fixed run of the reference target, their
// report.html and a comparison, each opened from disk in Debian's headless Chromium (installed
// here with apt-get when missing) over the DevTools protocol. No console error or exception, every
// chart drawn by uPlot with its series' colours on its canvas, and a full-page screenshot of each
// kept in test-artifacts/html/ with the pages themselves and their sizes and render times.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import CDP from 'chrome-remote-interface';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadRunView, writeCompareHtml, writeRunHtml } from '../../cli/html-report.js';
import { ROOT } from '../../model/paths.js';
import type { ChartData } from '../../reports/render/html/charts.js';
import { heapgate, tempDir } from './helpers.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'html');
const WIDTH = 1280;

/** Chromium's path, installing Debian's package once when it is not there; null when apt cannot. */
async function chromium(): Promise<{ bin: string } | { skip: string }> {
  const found = await execa('sh', ['-c', 'command -v chromium'], { reject: false });
  if (found.exitCode === 0) return { bin: found.stdout.trim() };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await execa('apt-get', ['update'], { reject: false, env, timeout: 600_000 });
  const install =
    update.exitCode === 0 ? await execa('apt-get', ['install', '-y', 'chromium'], { reject: false, env, timeout: 900_000 }) : update;
  if (install.exitCode !== 0) {
    return { skip: `Chromium is not installed and apt-get could not install it: ${String(install.stderr).trim().split('\n').pop()}` };
  }
  return { bin: '/usr/bin/chromium' };
}

/** Headless Chromium in its own process group, and the DevTools port it listens on. */
async function launch(bin: string, profileDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    bin,
    [
      '--headless=new',
      // Root, as CI and this machine run tests, needs it; the pages are our own files.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profileDir}`,
      `--window-size=${WIDTH},900`,
      'about:blank',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not report its DevTools port in 60 s:\n${text}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code ?? signal}) before listening:\n${text}`));
    });
  });
  // Its stderr keeps talking (dbus, GPU); drain it so it never blocks.
  child.stderr!.resume();
  return { child, port };
}

interface ChartSeen {
  id: string;
  /** Series uPlot was given, and how many non-null points they hold. */
  series: number;
  points: number;
  /** Canvas pixels not transparent, and per series colour how many pixels are close to it. */
  painted: number;
  colors: Record<string, number>;
}

interface PageSeen {
  renderMs: number;
  wallMs: number;
  errors: string[];
  pageErrors: string[];
  charts: ChartSeen[];
  boxes: number;
  outcomes: string[];
  png: Buffer;
}

/** Runs in the page: what each chart's canvas holds, by the series colours its data asked for. */
const INSPECT = `(() => {
  const data = JSON.parse(document.getElementById('heapgate-data').textContent);
  const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  return JSON.stringify(window.heapgateReport.charts.map((drawn) => {
    const chart = data.charts.find((c) => c.id === drawn.id);
    const canvas = document.getElementById(drawn.id).querySelector('canvas');
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const wanted = chart.series.map((s) => [s.color, hex(s.color)]);
    const colors = Object.fromEntries(wanted.map(([c]) => [c, 0]));
    let painted = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      painted++;
      if (px[i + 3] < 200) continue;
      for (const [c, rgb] of wanted) {
        if (Math.abs(px[i] - rgb[0]) < 40 && Math.abs(px[i + 1] - rgb[1]) < 40 && Math.abs(px[i + 2] - rgb[2]) < 40) colors[c]++;
      }
    }
    return { ...drawn, painted, colors };
  }));
})()`;

/** Open `file` in a fresh tab, wait for the page script's record, look at every canvas, screenshot it. */
async function open(port: number, file: string): Promise<PageSeen> {
  const target = await CDP.New({ host: '127.0.0.1', port, url: 'about:blank' });
  const client = await CDP({ host: '127.0.0.1', port, target });
  const errors: string[] = [];
  try {
    client.on('Runtime.consoleAPICalled', (e) => {
      if (e.type === 'error' || e.type === 'assert' || e.type === 'warning') errors.push(`console.${e.type}: ${e.args.map((a) => a.value ?? a.description).join(' ')}`);
    });
    client.on('Runtime.exceptionThrown', (e) => errors.push(`exception: ${e.exceptionDetails.exception?.description ?? e.exceptionDetails.text}`));
    client.on('Log.entryAdded', (e) => {
      if (e.entry.level === 'error' || e.entry.level === 'warning') errors.push(`log ${e.entry.level}: ${e.entry.text} ${e.entry.url ?? ''}`);
    });
    await Promise.all([client.Runtime.enable(), client.Log.enable(), client.Page.enable()]);
    await client.Emulation.setDeviceMetricsOverride({ width: WIDTH, height: 900, deviceScaleFactor: 1, mobile: false });
    const started = Date.now();
    const loaded = client.Page.loadEventFired();
    await client.Page.navigate({ url: pathToFileURL(file).href });
    await loaded;
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await client.Runtime.evaluate({ expression, returnByValue: true });
      if (r.exceptionDetails) throw new Error(`${expression.slice(0, 60)}…: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    };
    // The page script records itself once every chart is drawn; it runs before the load event, so this is a formality.
    let report: { renderMs: number; errors: string[] } | null = null;
    for (let i = 0; i < 100 && !report; i++) {
      report = await evaluate<{ renderMs: number; errors: string[] } | null>('window.heapgateReport ? { renderMs: window.heapgateReport.renderMs, errors: window.heapgateReport.errors } : null');
      if (!report) await new Promise((r) => setTimeout(r, 100));
    }
    const wallMs = Date.now() - started;
    assert.ok(report, `${file}: the page script never finished`);
    const charts = JSON.parse(await evaluate<string>(INSPECT)) as ChartSeen[];
    const boxes = await evaluate<number>('document.querySelectorAll(".plot").length');
    const outcomes = await evaluate<string[]>('[...document.querySelectorAll(".verdict .outcome")].map((e) => e.textContent)');
    const height = await evaluate<number>('document.documentElement.scrollHeight');
    const shot = await client.Page.captureScreenshot({
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: WIDTH, height, scale: 1 },
    });
    return { renderMs: report.renderMs, wallMs, errors, pageErrors: report.errors, charts, boxes, outcomes, png: Buffer.from(shot.data, 'base64') };
  } finally {
    await client.close();
    await CDP.Close({ host: '127.0.0.1', port, id: target.id });
  }
}

describe('report.html in headless Chromium (job-flow, smoke profile, leaky and fixed)', () => {
  let skip: string | null = null;
  let browser: { child: ChildProcess; port: number } | null = null;
  const files: Record<'leaky' | 'fixed' | 'compare', string> = { leaky: '', fixed: '', compare: '' };
  const seen: Partial<Record<keyof typeof files, PageSeen>> = {};
  const dataOf: Partial<Record<keyof typeof files, ChartData[]>> = {};

  before(async () => {
    const found = await chromium();
    if ('skip' in found) {
      skip = found.skip;
      return;
    }
    const root = await tempDir('e2e-html');
    const dirs = { leaky: path.join(root, 'leaky'), fixed: path.join(root, 'fixed') };
    for (const mode of ['leaky', 'fixed'] as const) {
      // The leaky one in its 3 rounds; the fixed one with rounds added until its range is under the limit.
      const rounds = mode === 'leaky' ? ['--rounds', '3'] : [];
      const r = await heapgate(['run', 'job-flow', '--mode', mode, '--profile', 'smoke', ...rounds, '--out', dirs[mode]]);
      assert.equal(r.exitCode, mode === 'leaky' ? 99 : 0, String(r.stderr));
      files[mode] = await writeRunHtml(dirs[mode]);
    }
    const [leaky, fixed] = await Promise.all([loadRunView(dirs.leaky), loadRunView(dirs.fixed)]);
    files.compare = await writeCompareHtml(leaky, fixed, path.join(root, 'compare.html'), { title: 'job-flow: leaky vs fixed' });
    browser = await launch(found.bin, path.join(root, 'chromium-profile'));
    await mkdir(ARTIFACTS, { recursive: true });
    const summary: Record<string, unknown> = {};
    for (const name of ['leaky', 'fixed', 'compare'] as const) {
      const html = await readFile(files[name], 'utf8');
      dataOf[name] = (JSON.parse(/<script type="application\/json" id="heapgate-data">([^]*?)<\/script>/.exec(html)![1]!) as { charts: ChartData[] }).charts;
      const page = await open(browser.port, files[name]);
      seen[name] = page;
      await writeFile(path.join(ARTIFACTS, `${name}.png`), page.png);
      await copyFile(files[name], path.join(ARTIFACTS, `${name}.html`));
      const kb = (await stat(files[name])).size / 1024;
      summary[name] = { kb: Math.round(kb * 10) / 10, renderMs: Math.round(page.renderMs), wallMs: page.wallMs, charts: page.charts.length };
      console.log(`${name}: report.html ${kb.toFixed(1)} KB, charts drawn ${Math.round(page.renderMs)} ms after navigation (${page.wallMs} ms from navigate to checked), ${page.charts.length} charts → ${path.join(ARTIFACTS, `${name}.png`)}`);
    }
    await writeFile(path.join(ARTIFACTS, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  });

  after(() => {
    // Its own process group (detached): the browser and every helper process it started.
    if (browser?.child.pid) {
      try {
        process.kill(-browser.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  const each = (title: string, check: (name: keyof typeof files, page: PageSeen, data: ChartData[]) => void) =>
    it(title, (t) => {
      if (skip) return t.skip(skip);
      for (const name of ['leaky', 'fixed', 'compare'] as const) check(name, seen[name]!, dataOf[name]!);
    });

  each('loads from disk with no console error, warning or exception', (name, page) => {
    assert.deepEqual(page.errors, [], name);
    assert.deepEqual(page.pageErrors, [], name);
  });

  each('draws every chart the data holds, each with its series on the canvas', (name, page, data) => {
    assert.equal(page.charts.length, data.length, `${name}: every chart drawn`);
    assert.equal(page.boxes, data.length, `${name}: one box per chart`);
    for (const chart of page.charts) {
      const spec = data.find((c) => c.id === chart.id)!;
      assert.equal(chart.series, spec.series.length, `${name} ${chart.id}`);
      assert.ok(chart.points > 0, `${name} ${chart.id}: points`);
      // Axes and grid alone paint a few thousand pixels; the series' colours say the data was drawn.
      assert.ok(chart.painted > 2000, `${name} ${chart.id}: ${chart.painted} painted pixels`);
      for (const s of spec.series.filter((x) => x.style === 'points' || x.style === 'line')) {
        assert.ok(chart.colors[s.color]! > 5, `${name} ${chart.id}: ${s.label} (${s.color}) has ${chart.colors[s.color]} pixels of its colour`);
      }
    }
  });

  it('shows each run’s verdict: leaky LEAKS, fixed settles, both in the comparison', (t) => {
    if (skip) return t.skip(skip);
    assert.deepEqual(seen.leaky!.outcomes, ['LEAKS']);
    assert.deepEqual(seen.fixed!.outcomes, ['settles']);
    assert.deepEqual(seen.compare!.outcomes, ['leaky: LEAKS', 'fixed: settles']);
    // memory, post-GC readings, k6, threads and fds; the comparison has both runs' time charts.
    assert.deepEqual(seen.leaky!.charts.map((c) => c.id).sort(), ['run-counts', 'run-k6', 'run-memory', 'run-readings-0']);
    assert.deepEqual(seen.compare!.charts.map((c) => c.id).sort(), [
      'cmp-readings-0',
      'side0-counts',
      'side0-k6',
      'side0-memory',
      'side1-counts',
      'side1-k6',
      'side1-memory',
    ]);
  });

  it('keeps a full-page screenshot of each', async (t) => {
    if (skip) return t.skip(skip);
    for (const name of ['leaky', 'fixed', 'compare'] as const) {
      const png = seen[name]!.png;
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      // A PNG's width and height are the IHDR's first two fields.
      assert.equal(png.readUInt32BE(16), WIDTH);
      assert.ok(png.readUInt32BE(20) > 1500, `${name}: the whole page, ${png.readUInt32BE(20)} px tall`);
      assert.ok((await stat(path.join(ARTIFACTS, `${name}.png`))).size > 50_000);
    }
  });
});
