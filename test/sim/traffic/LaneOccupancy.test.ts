import { describe, expect, it } from 'vitest';
import { NetworkBuilder } from '../../../sim/road/NetworkBuilder.ts';
import { Path } from '../../../sim/road/Path.ts';
import { LaneOccupancy, type Neighbour } from '../../../sim/traffic/LaneOccupancy.ts';
import { createActor, type Actor } from '../../../sim/world/actors.ts';
import { footprintsOverlap } from '../../../sim/world/footprint.ts';

/** A 50 m trunk that forks at the origin into a straight branch and one turned 30° to the left. */
function fork() {
  const b = new NetworkBuilder();
  const trunk = b.lane('trunk', Path.fromPoints([{ x: -50, y: 0 }, { x: 0, y: 0 }]), 3.5, 15);
  const straight = b.lane('straight', Path.fromPoints([{ x: 0, y: 0 }, { x: 60, y: 0 }]), 3.5, 15);
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  const turned = b.lane('turned', Path.fromPoints([{ x: 0, y: 0 }, { x: 60 * c, y: 60 * s }]), 3.5, 15);
  b.link(trunk, straight);
  b.link(trunk, turned);
  return { network: b.build(), trunk: trunk.id, straight: straight.id, turned: turned.id, c, s };
}

function car(id: number, lane: number, s: number, x: number, y: number, heading: number): Actor {
  return Object.assign(createActor(id, 'vehicle', 'car'), { lane, s, x, y, heading });
}

describe('lane occupancy at a fork', () => {
  it('shows a car just past the fork to traffic on the other branch while its turned body still covers that branch', () => {
    const { network, trunk, straight, turned, c, s } = fork();
    // 5.6 m along the straight branch: 5.6·sin 30° = 2.8 m from the turned branch's centre line, more
    // than half a lane plus half a car width (2.7 m). Seen from that branch the car is turned 30°,
    // so its near rear corner lies 2.8 − (4.6·sin 30° + 1.9·cos 30°)/2 ≈ 0.83 m from the line:
    // a car driving on the turned branch would run into it.
    const past = car(0, straight, 5.6, 5.6, 0, 0);
    const onTurned = Object.assign(createActor(9, 'vehicle', 'car'), { x: 5.6 * c * c, y: 5.6 * c * s, heading: Math.PI / 6 });
    expect(footprintsOverlap(past, onTurned)).toBe(true);
    const coming = car(1, trunk, 40, -10, 0, 0);
    const occupancy = new LaneOccupancy(network);
    occupancy.rebuild([past, coming]);
    expect(occupancy.entries(turned).map((e) => e.actor.id)).toEqual([0]);
    const out: Neighbour = { actor: null, gap: Infinity };
    expect(occupancy.leader(coming, [trunk, turned], 40, 100, out).actor).toBe(past);
  });

  it('does not show it there once its body has left that branch', () => {
    const { network, trunk, straight, turned } = fork();
    // 9 m along: 4.5 m off the turned branch's line, its near corner 4.5 − 1.97 ≈ 2.5 m away, past the lane's half width.
    const far = car(0, straight, 9, 9, 0, 0);
    const occupancy = new LaneOccupancy(network);
    occupancy.rebuild([far, car(1, trunk, 40, -10, 0, 0)]);
    expect(occupancy.entries(turned)).toEqual([]);
  });
});

describe('leaders on a lane', () => {
  it('give the gap bumper to bumper, half of each body off the distance between centres', () => {
    const { network, trunk } = fork();
    const behind = car(0, trunk, 10, -40, 0, 0);
    const van = Object.assign(createActor(1, 'vehicle', 'van'), { lane: trunk, s: 30, x: -20, y: 0, heading: 0 });
    const occupancy = new LaneOccupancy(network);
    occupancy.rebuild([behind, van]);
    const out: Neighbour = { actor: null, gap: Infinity };
    occupancy.leader(behind, [trunk], 10, 100, out);
    expect(out.actor).toBe(van);
    // 20 m between centres, a 4.6 m car and a 5.2 m van.
    expect(out.gap).toBeCloseTo(20 - 2.3 - 2.6, 12);
    occupancy.follower(van, trunk, 30, 100, out);
    expect(out.actor).toBe(behind);
    expect(out.gap).toBeCloseTo(20 - 2.3 - 2.6, 12);
  });
});

