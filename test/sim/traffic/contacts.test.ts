import { beforeAll, describe, expect, it } from 'vitest';
import { createExpert } from '../../../agents/expert.ts';
import { builtinScenarioIds } from '../../../scenarios/library.ts';
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import { make } from '../../../sim/env/registry.ts';
import { createActor, type Actor } from '../../../sim/world/actors.ts';
import { footprintsOverlap } from '../../../sim/world/footprint.ts';
import { NpcContacts } from '../../../sim/world/NpcContacts.ts';
import { initPhysics } from '../../../sim/world/physics.ts';

beforeAll(() => initPhysics());

function car(id: number, x: number, y: number, heading = 0, kind: Actor['kind'] = 'vehicle'): Actor {
  return Object.assign(createActor(id, kind, kind === 'pedestrian' ? 'adult' : 'car'), { x, y, heading });
}

describe('footprints', () => {
  it('overlap exactly when the rotated rectangles do', () => {
    // A 4.6 × 1.9 car at the origin; another turned 90° whose near edge sits at x = 2.3 + gap.
    const a = car(0, 0, 0);
    for (const gap of [-0.01, 0.01]) expect(footprintsOverlap(a, car(1, 2.3 + 0.95 + gap, 0, Math.PI / 2))).toBe(gap < 0);
    // Turned 45°: its corner points along −x at distance √((2.3)² + (0.95)²) projected on the
    // diagonal, i.e. reach (2.3 + 0.95)/√2 from its centre along each axis direction of a.
    const reach = (2.3 + 0.95) / Math.SQRT2;
    for (const gap of [-0.01, 0.01]) expect(footprintsOverlap(a, car(1, 2.3 + reach + gap, 0, Math.PI / 4))).toBe(gap < 0);
    // Side by side with 0.1 m between the flanks, and grown by a 0.06 m margin each.
    const b = car(1, 0.5, 1.9 + 0.1);
    expect(footprintsOverlap(a, b)).toBe(false);
    expect(footprintsOverlap(a, b, 0.06)).toBe(true);
  });
});

describe('footprints turned together', () => {
  it('overlap as they do unturned: turning both cars about one point changes nothing', () => {
    // Two cars side by side, flanks `gap` apart, both turned by θ about the first one's centre.
    for (const theta of [30, 60, 135].map((d) => (d * Math.PI) / 180)) {
      const a = car(0, 0, 0, theta);
      for (const gap of [-0.01, 0.01]) {
        const lateral = 1.9 + gap;
        const b = car(1, -Math.sin(theta) * lateral, Math.cos(theta) * lateral, theta);
        expect(footprintsOverlap(a, b), `θ ${theta.toFixed(2)}, gap ${gap}`).toBe(gap < 0);
        expect(footprintsOverlap(b, a), `θ ${theta.toFixed(2)}, gap ${gap}, swapped`).toBe(gap < 0);
      }
    }
  });
});

describe('NPC contacts', () => {
  it('are counted once when they start, again after the bodies part, and never for the ego or two pedestrians', () => {
    const ego = car(0, 0, 0, 0, 'ego');
    const a = car(1, 0, 10);
    const b = car(2, 20, 10);
    const p = car(3, 40, 10, 0, 'pedestrian');
    const q = car(4, 40, 10.2, 0, 'pedestrian');
    const contacts = new NpcContacts([ego, a, b, p, q]);
    expect(contacts.update()).toBe(0);
    b.x = 4; // overlaps a
    expect(contacts.update()).toBe(1);
    expect(contacts.update()).toBe(0); // still touching: not a new contact
    b.x = 20;
    contacts.update();
    b.x = 3;
    a.x = 1; // touching again
    expect(contacts.update()).toBe(1);
    ego.x = 1;
    ego.y = 10; // the ego's collisions are Rapier's business
    expect(contacts.update()).toBe(0);
    b.x = 40; // onto the pedestrians: one contact with each
    expect(contacts.update()).toBe(2);
    expect(contacts.total).toBe(4);
    b.active = false;
    b.x = 100;
    expect(contacts.update()).toBe(0);
  });

  const variants: [string, ScenarioOverrides][] = [
    ...builtinScenarioIds.map((id): [string, ScenarioOverrides] => [id, {}]),
    ['highway', { traffic: { vehicles: 60 } }],
    ['merge', { traffic: { vehicles: 40 } }],
    ['intersection', { traffic: { vehicles: 30 } }],
    ['intersection', { map: { type: 'intersection', signals: false } }],
    ['intersection', { map: { type: 'intersection', lanes: 3 }, ego: { lane: 2, turn: 'left' } }],
    ['roundabout', { traffic: { vehicles: 30 } }],
    ['obstacle-avoidance', { traffic: { vehicles: 30 } }],
    ['pedestrian-crossing', { traffic: { vehicles: 16, pedestrians: 12 } }],
  ];
  for (const [id, overrides] of variants) {
    it(`never happen on ${id} ${JSON.stringify(overrides)} with the expert driving, seeds 0–4`, async () => {
      const env = await make(id, overrides);
      const expert = createExpert(env);
      const found: string[] = [];
      for (let seed = 0; seed < 5; seed++) {
        let { observation } = env.reset({ seed });
        expert.reset?.(seed);
        for (let k = 0; k < 600; k++) {
          const r = env.step(expert.act(observation));
          observation = r.observation;
          if (r.terminated || r.truncated) break;
        }
        const total = env.unwrapped.world.npcContacts.total;
        if (total) found.push(`seed ${seed}: ${total} contacts`);
      }
      expect(found).toEqual([]);
      env.close();
    });
  }
});
