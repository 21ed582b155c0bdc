// Pure pieces: flag parsing and the result image.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { parseTargetArgs, wantsHelp } from '../../target-app/args.js';
import { TARGET_DEFAULTS } from '../../target-app/config.js';
import { dimensionsFor, renderResultPng } from '../../target-app/result-image.js';

describe('parseTargetArgs', () => {
  test('defaults follow seed 001', () => {
    assert.deepEqual(parseTargetArgs(['--mode', 'leaky']), { ...TARGET_DEFAULTS, mode: 'leaky' });
    assert.equal(TARGET_DEFAULTS.ttlMs, 600_000);
    assert.equal(TARGET_DEFAULTS.sweepMs, 60_000);
    assert.equal(TARGET_DEFAULTS.resultBytes, 150 * 1024);
  });

  test('every flag, converted to the config units', () => {
    const config = parseTargetArgs([
      '--mode=fixed', '--port', '8080', '--host', '::1', '--result-kb', '64', '--job-ms', '0',
      '--ttl-ms', '5000', '--sweep-ms', '100', '--max-upload-mb', '0.5',
      '--data-dir', '/srv/target', '--upload-limit-mb', '128', '--defects', 'full-log,whole-body',
      '--retention-sweep-ms', '200', '--retention-age-s', '0', '--retention-max-mb', '0.25',
      '--model-mb', '64', '--leak-bytes-per-job', '256', '--webhook-subscribers', '3', '--webhook-fail-every', '0', '--webhook-max-workers', '8',
    ]);
    assert.deepEqual(config, {
      mode: 'fixed', host: '::1', port: 8080, resultBytes: 64 * 1024, jobMs: 0,
      ttlMs: 5000, sweepMs: 100, maxUploadBytes: 512 * 1024, leakBytesPerJob: 256,
      dataDir: '/srv/target', uploadLimitBytes: 128 * 1024 * 1024, defects: ['whole-body', 'full-log'],
      retentionSweepMs: 200, retentionAgeMs: 0, retentionMaxBytes: 256 * 1024,
      modelBytes: 64 * 1024 * 1024,
      webhookSubscribers: 3, webhookFailEvery: 0, webhookMaxWorkers: 8,
    });
  });

  test('mistakes are HeapgateErrors with exit code 2 and one line', () => {
    const cases: Array<[string[], string]> = [
      [['--mode', 'LEAKY'], "--mode must be leaky or fixed, got 'LEAKY'"],
      [['--mode', 'fixed', '--port=-1'], "--port must be an integer from 0 to 65535, got '-1'"],
      [['--mode', 'fixed', '--port', '-1'], "Option '--port' argument is ambiguous"],
      [['--mode', 'fixed', '--result-kb', '0'], "--result-kb must be an integer from 1 to 65536, got '0'"],
      [['--mode', 'fixed', '--job-ms', '1.5'], "--job-ms must be an integer from 0 to 2147483647, got '1.5'"],
      [['--mode', 'fixed', '--max-upload-mb', '0'], "--max-upload-mb must be a number above 0 and at most 1024, got '0'"],
      [['--mode', 'fixed', '--host', '192.168.0.1'], "--host must be a loopback address (127.0.0.1, ::1, localhost), got '192.168.0.1'"],
      [['--mode', 'fixed', 'extra'], "Unexpected argument 'extra'"],
      [['--mode', 'fixed', '--leak-bytes-per-job', '1K'], "--leak-bytes-per-job must be an integer from 0 to 67108864, got '1K'"],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseTargetArgs(argv),
        (e: unknown) => e instanceof HeapgateError && e.exitCode === EXIT.usage && e.message === message && !e.message.includes('\n'),
        argv.join(' '),
      );
    }
  });

  test('--help is spotted before validation', () => {
    assert.ok(wantsHelp(['--mode', 'bogus', '-h']));
    assert.ok(!wantsHelp(['--mode', 'leaky']));
  });
});

describe('result image', () => {
  test('size tracks the target across a wide range', () => {
    for (const target of [2 * 1024, 16 * 1024, 150 * 1024, 1024 * 1024]) {
      const png = renderResultPng(42, target);
      assert.ok(Math.abs(png.length - target) / target < 0.03, `${png.length} bytes for a ${target} target`);
      const decoded = PNG.sync.read(png);
      assert.deepEqual({ width: decoded.width, height: decoded.height }, dimensionsFor(target));
    }
  });

  test('same seed, same bytes; another seed, other bytes', () => {
    assert.deepEqual(renderResultPng(7, 4096), renderResultPng(7, 4096));
    assert.notDeepEqual(renderResultPng(7, 4096), renderResultPng(8, 4096));
  });

  test('tiny targets still make a valid image', () => {
    const decoded = PNG.sync.read(renderResultPng(1, 1));
    assert.ok(decoded.width >= 1 && decoded.height >= 1);
  });
});
