// Seed 002's load: climbers' photos sent for hold analysis by a few users at once. Each request
// asks for a full-size photo with all its holds analysed, as the seed's app did; the answer must
// be 200 with no more holds than were asked for. What the server does with its model per request
// is the whole story (target-app/hold-routes.ts): a load that is harmless to a fixed server OOM-
// kills a leaky one on a box of the seed's size (heapgate run --memory-limit).
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';
import { envNumber, envString } from './lib/env';
import { summaryOutputs } from './lib/summary';

const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080');
const ANALYZE_PATH = envString('ANALYZE_PATH', '/api/holds/analyze');
const VUS = envNumber('VUS', 4);
const DURATION = envString('DURATION', '30s');
/** The seed's photos: 800 px, 80 holds found in each. */
const IMAGE_PX = envNumber('IMAGE_PX', 800);
const HOLDS = envNumber('HOLDS', 80);

const holdsAnalyzed = new Counter('holds_analyzed');

export const options: Options = {
  scenarios: {
    model_load: { executor: 'constant-vus', vus: VUS, duration: DURATION, gracefulStop: '30s' },
  },
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
  },
};

const BODY = JSON.stringify({ imagePx: IMAGE_PX, holds: HOLDS });
const PARAMS = { headers: { 'Content-Type': 'application/json' }, tags: { name: `POST ${ANALYZE_PATH}` } };

export default function (): void {
  const res = http.post(`${BASE_URL}${ANALYZE_PATH}`, BODY, PARAMS);
  const analyzed = res.status === 200 ? Number(res.json('analyzed')) : NaN;
  check(res, {
    'analyze answered 200': (r) => r.status === 200,
    'no more holds than asked for': () => analyzed >= 1 && analyzed <= HOLDS,
  });
  if (analyzed > 0) holdsAnalyzed.add(analyzed);
}

export function handleSummary(data: Parameters<typeof summaryOutputs>[0]): Record<string, string> {
  return summaryOutputs(data);
}
