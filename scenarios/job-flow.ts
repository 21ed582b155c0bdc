// Seed 001's flow: submit two parent photos → 202 + jobId → poll status until DONE (bounded:
// MAX_POLLS × POLL_INTERVAL, the seed's fix for endless polling) → fetch the PNG result.
// Defaults are the seed's load: 5 VUs for 30 s, polling every 3 s at most 40 times.
import http from 'k6/http';
import { check, sleep } from 'k6';
import encoding from 'k6/encoding';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { envNumber, envString, fillPath } from './lib/env';
import { summaryOutputs } from './lib/summary';

const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080');
const ANALYZE_PATH = envString('ANALYZE_PATH', '/api/images/analyze');
const STATUS_PATH = envString('STATUS_PATH', '/api/images/status/{jobId}');
const RESULT_PATH = envString('RESULT_PATH', '/api/images/result/{jobId}');
const VUS = envNumber('VUS', 5);
const DURATION = envString('DURATION', '30s');
const POLL_INTERVAL_S = envNumber('POLL_INTERVAL', 3);
const MAX_POLLS = envNumber('MAX_POLLS', 40);

// Two small real PNGs stand in for the parents' photos; inlined so the bundle needs no files.
const PARENT1 = encoding.b64decode(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAABZElEQVR42mPQ0DezdfEOikxIzyutae6aOGP+srVbdh86eeH6vadvPv9i5OAXk1XRNrJ0cPcLjUnOKmQwtXH2CoyIT8stqW7qnDB93tI1m3cdPHH+2t0nrz/9ZGDnE5VR1jK0sHfzDYlOyiwor2Nw8gwIj0vNKa5q7OifNnfJ6k07Dxw/d/XO41cff/xn4xWRVtI0MLdz9QmOSszIL6tt6WbwD4tNyS6qbGjvmzpn8aqNO/YfO3vl9qOXH77/Y+URllLEcDEDyF0V9W29U2YvWrlh+76jZy7fevji/be/LNxCkgrqehguZgC5q7Vn8qyFK9Zv23vk9KWbD56/+/qHmUtQQl5N18Qaw8UMIHdNmrlg+bqtew6funjj/rO3X34zcQqIy6nqGFs5emC4mIGIkERxMQMRIYniYgYiQhLFxQxEhCSKixmICEkUFzMQEZIoLmYgIiRRXMxAREiiuJiBiJBEcTEAG8CKEHcojlMAAAAASUVORK5CYII=',
);
const PARENT2 = encoding.b64decode(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAABZElEQVR42mMICI9LzSmuauzonzZ3yepNOw8cP3f1zuNXH3/8Z+MVkVbSNDC3c/UJjkrMyC+rbemeNJMhNiW7qLKhvW/qnMWrNu7Yf+zslduPXn74/o+VR1hKUUPfzNbFOygyIT2vtKa5a+KM+csYsgor6tt6p8xetHLD9n1Hz1y+9fDF+29/WbiFJBXU9UxtnL0CI+LTckuqmzonTJ+3dM1mhvK61p7JsxauWL9t75HTl24+eP7u6x9mLkEJeTVdE2snTwwXM4DctWD5uq17Dp+6eOP+s7dffjNxCojLqeoYWzl6+IdhuJgB5K61W3YfOnnh+r2nbz7/YuTgF5NV0TaydHD3C41JxnAxA8hduw6eOH/t7pPXn34ysPOJyihrGVrYu/mGRCdlFmC4mIGIkERxMQMRIYniYgYiQhLFxQxEhCSKixmICEkUFzMQEZIoLmYgIiRRXMxAREiiuJiBiJBEcTEA0wqFEPHNqLsAAAAASUVORK5CYII=',
);

const jobDuration = new Trend('job_e2e_duration', true);
const pollsPerJob = new Trend('job_polls');
const jobTimeouts = new Counter('job_timeouts');
const jobsFailed = new Counter('jobs_failed');
const jobsCompleted = new Counter('jobs_completed');

export const options: Options = {
  scenarios: {
    job_flow: {
      executor: 'constant-vus',
      vus: VUS,
      duration: DURATION,
      // A started job may poll up to its limit; let it finish instead of cutting it mid-flight.
      gracefulStop: `${Math.ceil(MAX_POLLS * POLL_INTERVAL_S) + 10}s`,
    },
  },
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
    job_timeouts: ['count==0'],
    jobs_failed: ['count==0'],
  },
};

const STATUS_TAG = { name: `GET ${STATUS_PATH}` };
const RESULT_TAG = { name: `GET ${RESULT_PATH}` };

export default function (): void {
  const started = Date.now();
  const submit = http.post(`${BASE_URL}${ANALYZE_PATH}`, {
    parent1: http.file(PARENT1, 'parent1.png', 'image/png'),
    parent2: http.file(PARENT2, 'parent2.png', 'image/png'),
  });
  const jobId = submit.status === 202 ? (submit.json('jobId') as string | null) : null;
  const accepted = check(submit, {
    'submit answered 202': (r) => r.status === 202,
    'submit returned a jobId': () => typeof jobId === 'string' && jobId.length > 0,
  });
  if (!accepted || !jobId) {
    jobsFailed.add(1);
    return;
  }

  // Bounded polling: at most MAX_POLLS status calls, POLL_INTERVAL apart, then a clean timeout.
  let status = '';
  let polls = 0;
  while (polls < MAX_POLLS && status !== 'DONE' && status !== 'FAILED') {
    sleep(POLL_INTERVAL_S);
    polls++;
    const res = http.get(`${BASE_URL}${fillPath(STATUS_PATH, jobId)}`, { tags: STATUS_TAG });
    if (!check(res, { 'status answered 200': (r) => r.status === 200 })) break;
    status = String(res.json('status'));
  }
  pollsPerJob.add(polls);
  if (status !== 'DONE') {
    if (status === 'FAILED' || polls < MAX_POLLS) jobsFailed.add(1);
    else jobTimeouts.add(1);
    return;
  }

  const result = http.get(`${BASE_URL}${fillPath(RESULT_PATH, jobId)}`, {
    responseType: 'binary',
    tags: RESULT_TAG,
  });
  const ok = check(result, {
    'result answered 200': (r) => r.status === 200,
    'result is image/png': (r) => String(r.headers['Content-Type'] ?? '').startsWith('image/png'),
    'result has a body': (r) => ((r.body as ArrayBuffer | null)?.byteLength ?? 0) > 0,
  });
  if (!ok) {
    jobsFailed.add(1);
    return;
  }
  jobsCompleted.add(1);
  jobDuration.add(Date.now() - started);
}

export function handleSummary(data: Parameters<typeof summaryOutputs>[0]): Record<string, string> {
  return summaryOutputs(data);
}
