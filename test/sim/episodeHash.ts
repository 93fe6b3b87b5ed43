/**
 * SHA-256 over the Rapier snapshot and every observation and reward of a short episode with
 * seeded random actions. Also a script, so a test can hash episodes in a process of their own:
 * `node bin/run-ts.mjs test/sim/episodeHash.ts <seed> <steps> <scenario id>` prints the hash.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env } from '../../sim/env/Env.ts';
import { make } from '../../sim/env/registry.ts';
import { Rng } from '../../sim/rng.ts';

/** Resets `env` with `seed` and hashes up to `steps` steps of it. */
export function hashEpisode(env: Env<Observation, Action>, seed: number, steps: number): string {
  const hash = createHash('sha256');
  const actions = Rng.seeded(seed + 1000);
  const first = env.reset({ seed }).observation;
  for (const key of Object.keys(first)) hash.update(new Uint8Array(first[key].buffer, first[key].byteOffset, first[key].byteLength));
  for (let i = 0; i < steps; i++) {
    const r = env.step(env.actionSpace.sample(actions) as Action);
    hash.update(env.unwrapped.world.takeSnapshot());
    for (const key of Object.keys(r.observation)) {
      const o = r.observation[key];
      hash.update(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    }
    hash.update(Float64Array.of(r.reward));
    if (r.terminated || r.truncated) break;
  }
  return hash.digest('hex');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [seed, steps, id] = process.argv.slice(2);
  const env = await make(id);
  const hash = hashEpisode(env, Number(seed), Number(steps));
  env.close();
  process.stdout.write(hash + '\n');
}
