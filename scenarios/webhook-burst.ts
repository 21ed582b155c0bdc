// Seed 003's process monitor in a crash storm: processes crash at RATE per second and each crash
// is an event POSTed to the webhook API, which fans it out to every subscriber (the target's own,
// on loopback) and answers once each delivery has an outcome. Some deliveries fail on purpose
// (the target's subscribers answer 500 to every few): what a failure leaks is the point.
//
// The rate is fixed (constant-arrival-rate), not the users: a leaky target starts a thread per
// delivery and slows down, and a closed loop of users would then send it fewer events — the
// storm is what the seed's monitor did not control, so the script does not either.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';
import { constantArrival } from './lib/arrival';
import { envNumber, envString } from './lib/env';
import { summaryOutputs } from './lib/summary';

const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080');
const WEBHOOKS_PATH = envString('WEBHOOKS_PATH', '/api/webhooks');
const RATE = envNumber('RATE', 5);
const DURATION = envString('DURATION', '30s');
const PRE_VUS = envNumber('PRE_VUS', 4);
const MAX_VUS = envNumber('MAX_VUS', 20);
/** How many subscribers the target fans each event out to (its --webhook-subscribers). */
const SUBSCRIBERS = envNumber('SUBSCRIBERS', 2);

if (!Number.isInteger(SUBSCRIBERS) || SUBSCRIBERS < 1) throw new Error(`SUBSCRIBERS must be a whole number ≥ 1, got ${SUBSCRIBERS}`);
if (RATE <= 0) throw new Error(`RATE must be above 0 events/s, got ${RATE}`);

const eventsAccepted = new Counter('webhook_events_accepted');
const eventsRefused = new Counter('webhook_events_refused');
const deliveriesDelivered = new Counter('webhook_deliveries_delivered');
const deliveriesFailed = new Counter('webhook_deliveries_failed');

export const options: Options = {
  scenarios: {
    // An event in flight at the round's end is finished: its deliveries are part of the round.
    webhook_burst: constantArrival({ rate: RATE, duration: DURATION, preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS, gracefulStop: '30s' }),
  },
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
    webhook_events_refused: ['count==0'],
  },
};

const PARAMS = { headers: { 'Content-Type': 'application/json' }, tags: { name: `POST ${WEBHOOKS_PATH}` } };

interface Fanned {
  eventId?: string;
  subscribers?: number;
  delivered?: number;
  failed?: number;
}

export default function (): void {
  const event = {
    type: 'process.crashed',
    data: { host: `host-${__VU}`, process: `worker-${__ITER % 8}`, exitCode: 137, at: new Date().toISOString() },
  };
  const res = http.post(`${BASE_URL}${WEBHOOKS_PATH}`, JSON.stringify(event), PARAMS);
  const body = res.status === 200 ? (res.json() as Fanned) : null;
  const ok = check(res, {
    'event answered 200': (r) => r.status === 200,
    'every subscriber has an outcome': () =>
      body?.subscribers === SUBSCRIBERS && (body.delivered ?? -1) + (body.failed ?? -1) === SUBSCRIBERS,
  });
  if (!ok || !body) {
    eventsRefused.add(1);
    return;
  }
  eventsAccepted.add(1);
  deliveriesDelivered.add(body.delivered!);
  deliveriesFailed.add(body.failed!);
}

export function handleSummary(data: Parameters<typeof summaryOutputs>[0]): Record<string, string> {
  return summaryOutputs(data);
}
