// The open-model scenario shared by the scenarios that send at a fixed rate: arrivals per second,
// whatever the target's latency, with up to maxVUs in flight.
import type { Scenario } from 'k6/options';

export interface Arrival {
  rate: number;
  duration: string;
  preAllocatedVUs: number;
  maxVUs: number;
  /** How long an iteration in flight at the end may finish: its work belongs to the round. */
  gracefulStop: string;
}

export function constantArrival(o: Arrival): Scenario {
  return { executor: 'constant-arrival-rate', timeUnit: '1s', ...o };
}
