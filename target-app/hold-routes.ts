// Seed 002's analysis API:
//   POST /api/holds/analyze   JSON {"imagePx": 800, "holds": 80} (both optional) → 200
//                             {"imagePx","requested","analyzed","cropBytesHeld","holds":[…]}
//                             400 not that JSON; 503 when the target has no model (--model-mb 0)
//
// The seed's defect is where the model comes from:
//   leaky  loaded lazily, by the request that needs it, for that request alone: N requests in
//          flight hold N copies, on a box sized for one — the seed's OOM kill (exit 137);
//          and every hold of a full-size photo is analysed, all crops held to the end;
//   fixed  preloaded once before the target listens (start-up pays for it, as the seed's fix did)
//          and shared; work per request capped (hold-model.ts CAPPED_WORK).
// The strategy is chosen once, when the server is assembled.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { TargetConfig } from './config.js';
import { readBodyWithin, sendError, sendJson } from './http-util.js';
import { analyzeHolds, CAPPED_WORK, loadHoldModel, UNCAPPED_WORK, type AnalysisRequest, type HoldModel, type WorkLimits } from './hold-model.js';

export const METRIC_MODEL_LOADS = 'heapgate_target_model_loads_total';

/** A body bigger than this is no analysis request. */
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_REQUEST: AnalysisRequest = { imagePx: 800, holds: 80 };

export interface HoldAnalyzer {
  /** Resolves once the target may listen: the fixed model is loaded. */
  readonly ready: Promise<void>;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createHoldAnalyzer(config: Pick<TargetConfig, 'mode' | 'modelBytes'>, registry: Registry): HoldAnalyzer {
  const loads = new Counter({ name: METRIC_MODEL_LOADS, help: 'Times the hold model was loaded into memory.', registers: [registry] });
  const load = async (): Promise<HoldModel> => {
    const model = await loadHoldModel(config.modelBytes);
    loads.inc();
    return model;
  };
  let model: () => Promise<HoldModel>;
  let limits: WorkLimits;
  let ready: Promise<void> = Promise.resolve();
  if (config.mode === 'fixed' && config.modelBytes > 0) {
    const preloaded = load();
    ready = preloaded.then(() => undefined);
    model = () => preloaded;
    limits = CAPPED_WORK;
  } else {
    model = load;
    limits = UNCAPPED_WORK;
  }
  return {
    ready,
    async handle(req, res) {
      const request = await readRequest(req);
      // The rest of a refused body is not wanted: close rather than read on.
      if (typeof request === 'string') return sendError(res, 400, request, { Connection: 'close' });
      if (config.modelBytes === 0) return sendError(res, 503, 'no model: start the target with --model-mb N');
      sendJson(res, 200, await analyzeHolds(await model(), request, limits));
    },
  };
}

/** The request's JSON, or why it is not one (a line for the 400). */
async function readRequest(req: IncomingMessage): Promise<AnalysisRequest | string> {
  const raw = await readBodyWithin(req, MAX_BODY_BYTES);
  if (raw === null) return `body over ${MAX_BODY_BYTES} bytes`;
  const text = raw.toString('utf8').trim();
  let body: unknown = {};
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return 'body is not JSON';
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const field = (name: keyof AnalysisRequest, max: number): number | string => {
    const v = (body as Record<string, unknown>)[name] ?? DEFAULT_REQUEST[name];
    return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max ? (v as number) : `${name} must be a whole number from 1 to ${max}`;
  };
  const imagePx = field('imagePx', 4096);
  const holds = field('holds', 1000);
  if (typeof imagePx === 'string') return imagePx;
  if (typeof holds === 'string') return holds;
  return { imagePx, holds };
}
