import { describe, expect, it } from 'vitest';
import { Tracker, type Measurement } from '../../perception/fusion/tracker.ts';
import { Rng } from '../../sim/rng.ts';

const R: [number, number, number, number] = [0.25, 0, 0, 0.25];

describe('tracker', () => {
  it('keeps one id per target through noise, misses and clutter, and ends a track after its target leaves', () => {
    const rng = Rng.seeded(3);
    const tracker = new Tracker();
    // Two cars side by side in adjacent lanes, 3.6 m apart, one faster; car B leaves at t = 6 s.
    const truth = (t: number) => [
      { key: 'A', position: [15 * t, 0] as [number, number] },
      ...(t < 6 ? [{ key: 'B', position: [5 + 20 * t, 3.6] as [number, number] }] : []),
    ];
    const idsOf = new Map<string, Set<number>>([['A', new Set()], ['B', new Set()]]);
    let last: ReturnType<Tracker['step']> = [];
    for (let k = 0; k <= 100; k++) {
      const t = k * 0.1;
      const measurements: Measurement[] = [];
      for (const target of truth(t)) {
        if (rng.next() < 0.1) continue; // missed 10% of the time
        measurements.push({ position: [target.position[0] + 0.5 * rng.normal(), target.position[1] + 0.5 * rng.normal()], covariance: R, label: 'vehicle' });
      }
      // A false alarm now and then, far from both cars.
      if (rng.next() < 0.2) measurements.push({ position: [rng.next() * 200 - 100, 30 + rng.next() * 20], covariance: R });
      last = tracker.step(t, measurements);
      if (k > 10) {
        for (const target of truth(t)) {
          const near = last.filter((tr) => Math.hypot(tr.position[0] - target.position[0], tr.position[1] - target.position[1]) < 2);
          expect(near.length, `${target.key} at ${t.toFixed(1)} s`).toBe(1);
          idsOf.get(target.key)!.add(near[0].id);
        }
      }
    }
    // One id each, never swapped; B's track is gone, A's velocity is close to 15 m/s.
    expect(idsOf.get('A')!.size).toBe(1);
    expect(idsOf.get('B')!.size).toBe(1);
    expect([...idsOf.get('A')!][0]).not.toBe([...idsOf.get('B')!][0]);
    expect(last.map((t) => t.id)).toEqual([...idsOf.get('A')!]);
    expect(Math.abs(last[0].velocity[0] - 15)).toBeLessThan(1);
    expect(last[0].label).toBe('vehicle');
  });

  it('confirms a track only after enough hits, and refuses frames out of time order', () => {
    const tracker = new Tracker({ confirmHits: 3 });
    const m = (x: number): Measurement[] => [{ position: [x, 0], covariance: R }];
    expect(tracker.step(0, m(0))).toHaveLength(0);
    expect(tracker.step(0.1, m(1))).toHaveLength(0);
    expect(tracker.step(0.2, m(2))).toHaveLength(1);
    expect(() => tracker.step(0.1, m(3))).toThrow('tracker: frames must come in time order; got 0.1 s after 0.2 s');
    // A confirmed track survives two missed frames and ends at the third (maxMisses 3).
    expect(tracker.step(0.3, [])).toHaveLength(1);
    expect(tracker.step(0.4, [])).toHaveLength(1);
    expect(tracker.step(0.5, [])).toHaveLength(0);
    // A tentative track ends at its first miss: the next two hits start a new one, not yet confirmed.
    const fresh = new Tracker({ confirmHits: 3 });
    fresh.step(0, m(0));
    fresh.step(0.1, []);
    fresh.step(0.2, m(2));
    expect(fresh.step(0.3, m(3))).toHaveLength(0);
    expect(fresh.step(0.4, m(4))).toHaveLength(1);
  });

  it('never lets a measurement of one label update a track of another, and tells each track its age', () => {
    const tracker = new Tracker({ confirmHits: 1 });
    tracker.step(1, [{ position: [0, 0], covariance: R, label: 'vehicle' }]);
    // A pedestrian 10 cm from the car's track starts its own track instead of updating it.
    const both = tracker.step(1.5, [{ position: [0.1, 0], covariance: R, label: 'pedestrian' }]);
    expect(both.map((t) => [t.id, t.label, t.hits, t.misses, t.age])).toEqual([[1, 'vehicle', 1, 1, 0.5], [2, 'pedestrian', 1, 0, 0]]);
    // A measurement with no label may update either: here the nearer, the pedestrian.
    const next = tracker.step(2, [{ position: [0.1, 0], covariance: R }]);
    expect(next.map((t) => [t.id, t.hits, t.age])).toEqual([[1, 1, 1], [2, 2, 0.5]]);
  });

  it('starts a track with the full position covariance of its measurement, correlation included', () => {
    const tracker = new Tracker({ confirmHits: 1 });
    const [t] = tracker.step(0, [{ position: [10, 5], covariance: [4, 1.5, 1.5, 2] }]);
    expect([t.covariance[0], t.covariance[1], t.covariance[4], t.covariance[5]]).toEqual([4, 1.5, 1.5, 2]);
  });
});
