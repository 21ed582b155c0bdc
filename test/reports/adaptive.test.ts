import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunMeta, Sample, SignalVerdict, Verdict } from '../../model/types.js';
import { adaptivePolicy, nextRound, type AdaptivePolicy, type RoundStep } from '../../reports/analysis/adaptive.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { KB, MB, linearLeakRun, noisyRun, type SyntheticRun } from './synthetic.js';

const POLICY: AdaptivePolicy = { minRounds: 3, maxRounds: 12, maxDurationS: 180 };

function signal(over: Partial<SignalVerdict>): SignalVerdict {
  return {
    name: 'memory',
    outcome: 'inconclusive',
    reason: 'too noisy to tell',
    metric: 'nodejs_heap_size_used_bytes',
    unit: 'iteration',
    readings: [],
    retainedPerUnit: 700,
    retainedPerUnitRange: [-60, 1536],
    growthBytes: 0,
    noiseBytes: 64 * KB,
    limitPerUnit: 1024,
    work: 600,
    ...over,
  };
}

const verdict = (outcome: Verdict['outcome'], ...signals: SignalVerdict[]) => ({ outcome, signals: signals.length ? signals : [signal({ outcome: outcome as SignalVerdict['outcome'] })] });
const progress = (roundsDone: number, elapsedS = roundsDone * 14, roundSeconds = Array(roundsDone).fill(14)) => ({ roundsDone, elapsedS, roundSeconds });

test('within the minimum, rounds go on whatever the readings say, with no reason recorded', () => {
  assert.deepEqual(nextRound(verdict('leaks'), progress(2), POLICY), { more: true, added: null });
});

test('a decided verdict stops at the minimum: a clear leak, a clean settle, a failed load', () => {
  assert.deepEqual(nextRound(verdict('leaks'), progress(3), POLICY), { more: false, stopped: 'decided after 3 rounds: leaks' });
  assert.deepEqual(nextRound(verdict('settles'), progress(5), POLICY), { more: false, stopped: 'decided after 5 rounds: settles' });
  assert.deepEqual(nextRound(verdict('invalid', signal({})), progress(3), POLICY), { more: false, stopped: 'decided after 3 rounds: invalid' });
});

test('a range across the limit adds a round, and says which signal and by what figures', () => {
  const step = nextRound(verdict('inconclusive', signal({})), progress(3), POLICY);
  assert.deepEqual(step, {
    more: true,
    added: {
      round: 4,
      // −60 B … 1.5 KB per iteration: the 1 KB limit is inside it.
      reason: 'memory: -60 B … 1.5 KB/iter straddles the 1.0 KB/iter limit',
      signal: 'memory',
      retainedPerUnitRange: [-60, 1536],
      limitPerUnit: 1024,
      unit: 'iteration',
    },
  } satisfies RoundStep);
});

test('a range wholly above the limit that is not yet a leak (too little growth) also adds a round', () => {
  const s = signal({ retainedPerUnitRange: [1200, 3000], reason: 'too little growth to tell' });
  const step = nextRound(verdict('inconclusive', s), progress(3), POLICY);
  assert.equal(step.more && step.added?.reason, 'memory: 1.2 KB … 2.9 KB/iter is above the 1.0 KB/iter limit, but not yet a leak (too little growth to tell)');
});

test('the first open signal asks; a settled one beside it does not', () => {
  const disk = signal({ name: 'disk', unit: 'upload', retainedPerUnitRange: [-2 * MB, 3 * MB], limitPerUnit: 2 * MB });
  const step = nextRound(verdict('inconclusive', signal({ outcome: 'settles', retainedPerUnitRange: [-10, 10] }), disk), progress(3), POLICY);
  assert.equal(step.more && step.added?.signal, 'disk');
});

test('an inconclusive verdict with no range to narrow (a missing reading, no work metric) stops', () => {
  const step = nextRound(verdict('inconclusive', signal({ retainedPerUnitRange: null })), progress(3), POLICY);
  assert.deepEqual(step, { more: false, stopped: 'inconclusive after 3 rounds, with no range more rounds could narrow' });
});

test('the caps: --max-rounds, and --max-duration by the longest round so far', () => {
  const open = verdict('inconclusive', signal({}));
  assert.deepEqual(nextRound(open, progress(12), POLICY), { more: false, stopped: 'still inconclusive after 12 rounds: the 12-round cap (--max-rounds) was reached' });
  // 160 s so far, the longest round 21 s: a next one would end at about 181 s, past 180 s.
  assert.deepEqual(nextRound(open, progress(8, 160, [14, 14, 21, 14, 14, 14, 14, 14]), POLICY), {
    more: false,
    stopped: 'still inconclusive after 8 rounds: another round (about 21 s) would end past the 180 s cap (--max-duration)',
  });
  // 150 + 21 = 171 s ≤ 180 s: one more.
  assert.equal(nextRound(open, progress(8, 150, [21]), POLICY).more, true);
  assert.equal(nextRound(open, progress(8, 1e6, [21]), { ...POLICY, maxDurationS: null }).more, true);
});

test('the policy of a run: fixed rounds have none', () => {
  assert.equal(adaptivePolicy({ rounds: 3 }), null);
  assert.equal(adaptivePolicy({ rounds: 5, maxRounds: 5 }), null);
  assert.deepEqual(adaptivePolicy({ rounds: 3, maxRounds: 30, maxDurationS: 180 }), { minRounds: 3, maxRounds: 30, maxDurationS: 180 });
  assert.deepEqual(adaptivePolicy({ rounds: 3, maxRounds: 30 }), { minRounds: 3, maxRounds: 30, maxDurationS: null });
});

/** The run as the protocol sees it once round `k` is read: its rows and rounds up to settle-k. */
function upTo(run: SyntheticRun, k: number): { samples: Sample[]; meta: RunMeta } {
  const inRound = (phase: string) => {
    const m = /-(\d+)$/.exec(phase);
    return m ? Number(m[1]) <= k : !['done'].includes(phase);
  };
  return {
    samples: run.samples.filter((s) => inRound(s.phase)),
    meta: {
      ...run.meta,
      protocol: { ...run.meta.protocol, rounds: 3 },
      rounds: run.meta.rounds.filter((r) => r.round <= k),
      settles: run.meta.settles.filter((s) => inRound(s.phase)),
      outcome: null,
      finishedAt: null,
    },
  };
}

/** Judge after every round of a (pre-generated) run, as the protocol does, until a round is not wanted. */
function sequential(run: SyntheticRun, policy: AdaptivePolicy) {
  const added: string[] = [];
  for (let k = 1; ; k++) {
    const { samples, meta } = upTo(run, k);
    const v = analyse(samples, meta, { leakBytesPerUnit: 4 * KB });
    const step = nextRound(v, progress(k), policy);
    if (!step.more) return { rounds: k, outcome: v.outcome, stopped: step.stopped, added };
    if (step.added) added.push(step.added.reason.replace(/: .* (straddles|is above)/, ': … $1'));
  }
}

test('sequentially: a clear leak stops at its minimum; noise across the limit gets rounds until it settles', () => {
  const policy = { minRounds: 3, maxRounds: 20, maxDurationS: null };
  assert.deepEqual(sequential(linearLeakRun(150 * KB, { rounds: 20 }), policy), {
    rounds: 3,
    outcome: 'leaks',
    stopped: 'decided after 3 rounds: leaks',
    added: [],
  });
  // Post-GC readings that jump by ±0.5–1 MB at every settle, 200 iterations a round: at 3 judged
  // readings σ ≈ 0.75 MB gives a range of about ±2 × 0.75 MB / (200 × √2) ≈ ±5 KB, across the
  // 4 KB limit; it narrows as n^−1.5 until its high end is under 4 KB.
  const noisy = sequential(noisyRun({ rounds: 20, jumpBytes: MB, iterationsPerRound: 200 }), policy);
  assert.equal(noisy.outcome, 'settles');
  assert.ok(noisy.rounds > 3 && noisy.rounds < 20, `${noisy.rounds} rounds`);
  assert.equal(noisy.added.length, noisy.rounds - 3);
  assert.deepEqual(new Set(noisy.added), new Set(['memory: … straddles the 4.0 KB/iter limit']));
  assert.equal(noisy.stopped, `decided after ${noisy.rounds} rounds: settles`);
});
