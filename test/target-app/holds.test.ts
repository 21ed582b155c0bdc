// Seed 002's hold analysis on the reference target: where the model comes from (leaky: per
// request; fixed: once, before listening), the caps on the work, and what that does to memory.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { METRIC_MODEL_LOADS } from '../../target-app/hold-routes.js';
import { gauge, runMain, spawnTarget, startTarget, until } from './helpers.js';

const MB = 1024 * 1024;

interface Answer {
  imagePx: number;
  requested: number;
  analyzed: number;
  cropBytesHeld: number;
  holds: { id: number; sizePx: number; score: number }[];
}

async function analyze(url: string, body: unknown = {}): Promise<{ status: number; json: Answer & { error?: string } }> {
  const res = await fetch(`${url}/api/holds/analyze`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Answer & { error?: string } };
}

test('fixed: the model is loaded once, before the first request; work per request is capped', async (t) => {
  const { url } = await startTarget(t, 'fixed', { modelBytes: 16 * MB });
  assert.equal(await gauge(url, METRIC_MODEL_LOADS), 1, 'loaded before listening');
  const { status, json } = await analyze(url, { imagePx: 800, holds: 80 });
  assert.equal(status, 200);
  // Seed 002's fix: 40 holds of 80, largest first; the photo at 320 px; no crop kept to the end.
  assert.equal(json.requested, 80);
  assert.equal(json.analyzed, 40);
  assert.equal(json.imagePx, 320);
  assert.equal(json.cropBytesHeld, 0);
  assert.deepEqual(json.holds.map((h) => h.id), Array.from({ length: 40 }, (_, i) => i));
  assert.ok(json.holds.every((h, i) => i === 0 || h.sizePx <= json.holds[i - 1]!.sizePx), 'largest first');
  assert.ok(json.holds.every((h) => h.score >= 0 && h.score < 1));
  for (let i = 0; i < 3; i++) assert.equal((await analyze(url)).status, 200);
  assert.equal(await gauge(url, METRIC_MODEL_LOADS), 1, 'and never again');
});

test('leaky: the model is loaded by each request that needs it; every hold of the full photo, crops held', async (t) => {
  const { url } = await startTarget(t, 'leaky', { modelBytes: 16 * MB });
  assert.equal(await gauge(url, METRIC_MODEL_LOADS), 0, 'lazily: nothing at start');
  const { status, json } = await analyze(url, { imagePx: 800, holds: 80 });
  assert.equal(status, 200);
  assert.equal(json.analyzed, 80);
  assert.equal(json.imagePx, 800);
  // 80 crops of 100 px down to ~1 px, RGB: all held until the answer.
  assert.equal(json.cropBytesHeld, json.holds.reduce((n, h) => n + h.sizePx * h.sizePx * 3, 0));
  assert.ok(json.cropBytesHeld > 500 * 1024);
  await Promise.all([analyze(url), analyze(url), analyze(url)]);
  assert.equal(await gauge(url, METRIC_MODEL_LOADS), 4, 'one load per request');
});

test('bad requests are 400 in one line; no model is 503; other methods 405', async (t) => {
  const { url } = await startTarget(t, 'fixed', { modelBytes: 8 * MB });
  const bad: Array<[unknown, string]> = [
    ['{not json', 'body is not JSON'],
    ['[1,2]', 'body must be a JSON object'],
    [{ holds: 0 }, 'holds must be a whole number from 1 to 1000'],
    [{ imagePx: 'big' }, 'imagePx must be a whole number from 1 to 4096'],
    [{ imagePx: 1.5 }, 'imagePx must be a whole number from 1 to 4096'],
  ];
  for (const [body, error] of bad) assert.deepEqual(await analyze(url, body), { status: 400, json: { error } });
  assert.equal((await analyze(url, 'x'.repeat(70 * 1024))).json.error, 'body over 65536 bytes');
  assert.equal((await fetch(`${url}/api/holds/analyze`)).status, 405);
  const none = await startTarget(t, 'leaky');
  assert.deepEqual(await analyze(none.url), { status: 503, json: { error: 'no model: start the target with --model-mb N' } });
});

test('--model-mb: a whole number of MiB, told at start', async (t) => {
  const r = await runMain(['--mode', 'leaky', '--model-mb', '1.5']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--model-mb must be an integer from 0 to 65536, got '1\.5'/);
  const s = await spawnTarget(t, ['--mode', 'fixed', '--port', '0', '--model-mb', '8']);
  // The start-up line follows the listening line, on stderr.
  assert.match(await until('the start-up line', async () => s.stderr().includes('\n') && s.stderr()), /hold model 8 MiB, preloaded/);
  assert.equal(await s.stop(), 0);
});

/** VmHWM and VmRSS of a process, bytes. */
async function memory(pid: number): Promise<{ hwm: number; rss: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

test('four requests at once: leaky holds a model per request, fixed its one model', async (t) => {
  const model = 48 * MB;
  const peaks: Record<string, { start: number; peak: number }> = {};
  for (const mode of ['leaky', 'fixed'] as const) {
    const s = await spawnTarget(t, ['--mode', mode, '--port', '0', '--model-mb', String(model / MB)]);
    const start = (await memory(s.listening.pid)).rss;
    const answers = await Promise.all(Array.from({ length: 4 }, () => analyze(s.listening.url)));
    assert.ok(answers.every((a) => a.status === 200));
    peaks[mode] = { start, peak: (await memory(s.listening.pid)).hwm };
    assert.equal(await s.stop(), 0);
  }
  const { leaky, fixed } = peaks as Record<'leaky' | 'fixed', { start: number; peak: number }>;
  // Fixed starts with its model in memory and the four analyses add little to it.
  assert.ok(fixed.start > leaky.start + model * 0.8, `fixed starts at ${fixed.start / MB} MB, leaky at ${leaky.start / MB} MB`);
  assert.ok(fixed.peak - fixed.start < model / 2, `fixed grew ${(fixed.peak - fixed.start) / MB} MB`);
  // Leaky's copies overlap: at least two models live at once (four, when the requests arrive together).
  assert.ok(leaky.peak - leaky.start > 2 * model, `leaky grew ${(leaky.peak - leaky.start) / MB} MB`);
});
