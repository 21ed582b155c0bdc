// Seed 002's scenario (scenarios/model-load.ts): a few users at once asking for hold analysis, on
// a box of the seed's proportions. The seed's box was 957 MB with a 338 MB model; its success was
// "no exit 137, memory under 60–63 % of the limit". The default and smoke profiles scale the box
// down so a run stays fast: 256 MB with a 64 MB model, where four requests in flight of a leaky
// target hold four models (over the limit: OOM-killed) and a fixed one holds one (about half).
import type { SignalSpec } from '../model/types.js';
import type { Scenario } from './scenarios.js';

const MiB = 1024 * 1024;

/** The seed's budget: "memory under 60–63 % of the limit". */
const BUDGET_SHARE = 0.63;

/** A fixed target keeps nothing per analysis: what stays after GC per request would be a leak. */
const memoryPerRequest: SignalSpec = {
  name: 'memory',
  metric: null,
  work: 'iterations',
  workScale: 1,
  unit: 'request',
  limitPerUnit: 4 * 1024,
  minGrowthBytes: MiB,
};

export const modelLoad: Scenario = {
  name: 'model-load',
  seed: '002',
  // Its defect is an OOM kill under the limit: the leaky run is a crash, not a slow leak.
  leakyOutcome: 'crashed',
  load(profile) {
    const p = {
      seed: { boxMb: 957, modelMb: 338, vus: 4, duration: 10 },
      default: { boxMb: 256, modelMb: 64, vus: 4, duration: 8 },
      smoke: { boxMb: 256, modelMb: 64, vus: 4, duration: 4 },
    }[profile];
    return {
      description: `${p.vus} users asking for hold analysis for ${p.duration} s per round; a ${p.modelMb} MB model on a ${p.boxMb} MB box, budget ${BUDGET_SHARE * 100} % of it`,
      k6Env: { VUS: String(p.vus), DURATION: `${p.duration}s`, IMAGE_PX: '800', HOLDS: '80' },
      targetArgs: ['--model-mb', String(p.modelMb)],
      signals: [memoryPerRequest],
      budgetRssBytes: null,
      box: { limitBytes: p.boxMb * MiB, budgetShare: BUDGET_SHARE },
      watch: { dirs: [], files: [] },
    };
  },
};
