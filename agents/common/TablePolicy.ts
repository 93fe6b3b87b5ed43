/**
 * The policy of a tabular agent: greedy on a table of action values at evaluation, ε-greedy on
 * request, deciding every `decisionInterval` env steps and keeping the meta-controller's targets
 * (IDLE) in between. States never visited also keep them.
 */
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { SpaceValue } from '../../sim/env/spaces.ts';
import { mix32, Rng } from '../../sim/rng.ts';
import { writePolicyManifest } from './manifest.ts';
import type { ActOptions, Policy } from './Policy.ts';
import { TABLE_FILE, tableText, type QTable } from './qtable.ts';
import { afterDecision, afterStep, allowedIn, startTracking, stateOf, type StateEncoding, type Tracker } from './tabularState.ts';

/** The meta-action that keeps the controller's targets */
export const IDLE = META_ACTIONS.indexOf('IDLE');

export const isAllowed = (allowed: number, action: number) => ((allowed >>> action) & 1) === 1;

/** The greedy action among `allowed` (bits): ties go to IDLE if it is among them, else to the first; unseen states to IDLE. */
export function greedy(q: Float64Array | undefined, actions: number, allowed: number): number {
  const keep = Math.min(IDLE, actions - 1);
  if (!q) return keep;
  let best = -1;
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (best < 0 || q[a] > q[best])) best = a;
  return isAllowed(allowed, keep) && q[keep] === q[best] ? keep : best;
}

/**
 * ε-greedy among `allowed`, ties broken by `rng`. With the updates `n` of each action, the greedy
 * choice maximises Q + bonus / √n, and an action never tried comes first (MBIE-EB, Strehl & Littman 2008).
 */
export function epsilonGreedy(q: Float64Array | undefined, actions: number, allowed: number, epsilon: number, rng: Rng, n?: Uint32Array, bonus = 0): number {
  const explore = rng.next() < epsilon || !q;
  const value = (a: number) => (n && bonus > 0 ? (n[a] === 0 ? Infinity : q![a] + bonus / Math.sqrt(n[a])) : q![a]);
  let max = -Infinity;
  if (!explore) for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && value(a) > max) max = value(a);
  const candidates: number[] = [];
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (explore || value(a) === max)) candidates.push(a);
  return candidates.length === 1 ? candidates[0] : candidates[rng.int(0, candidates.length - 1)];
}

export interface TablePolicyOptions {
  /** Env steps per decision */
  decisionInterval: number;
  /** See `afterStep` in tabularState.ts */
  laneChangeHold: number;
  /** Exploration rate when acting with `deterministic: false` */
  epsilon: number;
  /** The agent's own seed, mixed into each episode's */
  seed: number;
}

export class TablePolicy implements Policy<SpaceValue, number> {
  private tracker: Tracker | null = null;
  private rng = Rng.seeded(0);

  /** `args` are saved in policy.json as the arguments of agent `name`; `options` are what acting needs of them */
  constructor(readonly name: string, readonly args: object, private readonly options: TablePolicyOptions, readonly table: QTable, readonly actions: number, readonly encoding: StateEncoding) {}

  act(observation: SpaceValue, options: ActOptions = {}): number {
    if (!this.tracker) this.tracker = startTracking(this.encoding, observation);
    else afterStep(this.encoding, this.tracker, observation, this.options.laneChangeHold);
    if (this.tracker.steps > 0 && this.tracker.steps < this.options.decisionInterval) return IDLE;
    const state = stateOf(this.encoding, observation, this.tracker);
    const q = this.table.get(state), allowed = allowedIn(this.encoding, state, this.actions);
    const action = options.deterministic === false ? epsilonGreedy(q, this.actions, allowed, this.options.epsilon, this.rng) : greedy(q, this.actions, allowed);
    afterDecision(this.encoding, this.tracker, action, observation, this.options.laneChangeHold);
    return action;
  }

  reset(episodeSeed: number): void {
    if (!Number.isSafeInteger(episodeSeed) || episodeSeed < 0) throw new Error(`reset: expected the episode's seed, a non-negative integer, got ${episodeSeed}`);
    this.tracker = null;
    // The agent's seed and the episode's, hashed with a constant of this class's own.
    const seed = this.options.seed;
    this.rng = Rng.seeded(mix32(mix32(0x51a7e ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) ^ (episodeSeed >>> 0) ^ Math.floor(episodeSeed / 2 ** 32)) >>> 0);
  }

  save(dir: string): Promise<void> {
    return this.write(dir, tableText(this.table, this.actions, this.encoding));
  }

  /** policy.json, the table given as text, and any `extra` files by name */
  async write(dir: string, table: string, extra: Record<string, string> = {}): Promise<void> {
    await writePolicyManifest(dir, { agent: this.name, args: this.args, actionSpace: { type: 'discrete', n: this.actions } });
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    for (const [file, text] of Object.entries({ [TABLE_FILE]: table, ...extra })) await writeFile(join(dir, file), text + '\n');
  }
}
