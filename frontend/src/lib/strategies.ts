// The router's strategies as people read them; the API speaks the identifiers.

import { STRATEGIES, type Strategy } from './types';

export const STRATEGY_INFO: Record<Strategy, { name: string; help: string }> = {
  simple: { name: 'Simple', help: 'Lowest priority first, in order; next one only on failure.' },
  random: { name: 'Random', help: 'Pick a healthy deployment at random within the best priority.' },
  round_robin: { name: 'Round robin', help: 'Rotate across healthy deployments within the best priority.' },
  weighted: { name: 'Weighted', help: 'Random, proportional to each deployment’s weight.' },
  least_latency: { name: 'Lowest latency', help: 'Prefer the deployment with the lowest recent latency.' },
  least_cost: { name: 'Lowest cost', help: 'Prefer the cheapest deployment according to Model Costs.' },
};

/** The human name of a strategy identifier; an unknown one is shown as it is. */
export function strategyName(id: string): string {
  return (STRATEGIES as readonly string[]).includes(id) ? STRATEGY_INFO[id as Strategy].name : id;
}
