import { describe, expect, it } from 'vitest';
import { motMetrics, type MotFrame } from '../../perception/metrics/mot.ts';

const o = (id: number, x: number, y = 0) => ({ id, position: [x, y] as [number, number] });

describe('tracking metrics, against counts worked out by hand', () => {
  it('perfect tracking: MOTA 1, MOTP the mean offset, IDF1 1', () => {
    const frames: MotFrame[] = [0, 1, 2].map((k) => ({ truth: [o(1, k), o(2, 10 + k)], tracks: [o(7, k + 0.5), o(8, 10 + k)] }));
    expect(motMetrics(frames)).toEqual({ mota: 1, motp: 0.25, idf1: 1, objects: 6, misses: 0, falsePositives: 0, idSwitches: 0, matches: 6 });
  });

  it('a miss, a false positive and an id switch each cost one: MOTA = 1 − 3/8', () => {
    const frames: MotFrame[] = [
      { truth: [o(1, 0), o(2, 20)], tracks: [o(7, 0), o(8, 20)] },
      { truth: [o(1, 1), o(2, 21)], tracks: [o(7, 1)] }, // 2 missed
      { truth: [o(1, 2), o(2, 22)], tracks: [o(7, 2), o(8, 22), o(9, 50)] }, // 9 is a false positive
      { truth: [o(1, 3), o(2, 23)], tracks: [o(5, 3), o(8, 23)] }, // 1 is now tracked as 5: a switch
    ];
    const r = motMetrics(frames);
    expect([r.objects, r.misses, r.falsePositives, r.idSwitches, r.matches]).toEqual([8, 1, 1, 1, 7]);
    expect(r.mota).toBeCloseTo(1 - 3 / 8, 12);
    expect(r.motp).toBe(0);
    // IDF1: 1↔7 for 3 frames, 2↔8 for 3 frames; IDTP 6 of 8 truths and 8 track boxes: 12 / (12 + 2 + 2).
    expect(r.idf1).toBeCloseTo(12 / 16, 12);
  });

  it('keeps a correspondence that still holds even when another pairing is closer', () => {
    // Frame 2: track 8 is nearer to object 1, but 1 stays with 7 (within 2 m): no switch.
    const frames: MotFrame[] = [
      { truth: [o(1, 0)], tracks: [o(7, 0)] },
      { truth: [o(1, 1)], tracks: [o(7, 2.5), o(8, 1)] },
    ];
    const r = motMetrics(frames, 2);
    expect(r.idSwitches).toBe(0);
    // The threshold is inclusive: exactly 2 m apart still corresponds.
    expect(motMetrics([{ truth: [o(1, 0)], tracks: [o(7, 2)] }], 2).matches).toBe(1);
    expect(r.falsePositives).toBe(1);
    expect(r.motp).toBeCloseTo(0.75, 12);
  });

  it('leaves out a track on an ignored object, but still counts one that is far from it or matched', () => {
    const frames: MotFrame[] = [
      // Track 8 sits on object 5, which is ignored (hidden): neither a match nor a false positive.
      { truth: [o(1, 0)], tracks: [o(7, 0), o(8, 30)], ignore: [o(5, 30.5)] },
      // Track 9 is 3 m from the ignored object: a false positive all the same.
      { truth: [o(1, 1)], tracks: [o(7, 1), o(9, 33.5)], ignore: [o(5, 30.5)] },
      // Track 7 is matched to object 1 even with an ignored object beside it.
      { truth: [o(1, 2)], tracks: [o(7, 2)], ignore: [o(5, 2.5)] },
    ];
    const r = motMetrics(frames);
    expect([r.objects, r.matches, r.misses, r.falsePositives, r.idSwitches]).toEqual([3, 3, 0, 1, 0]);
    expect(r.mota).toBeCloseTo(1 - 1 / 3, 12);
    // IDF1: 1↔7 for 3 frames; track frames counted: 7 ×3 and 9 ×1 (8 left out): 6 / (6 + 1 + 0).
    expect(r.idf1).toBeCloseTo(6 / 7, 12);
  });

  it('lets one track keep one object when two objects last matched it', () => {
    const at = (id: number, x: number) => ({ id, position: [x, 0] as const });
    const frames: MotFrame[] = [
      { truth: [at(1, 0)], tracks: [at(9, 0)] },
      // Object 1 is gone; object 2 takes track 9.
      { truth: [at(2, 0.5)], tracks: [at(9, 0.5)] },
      // Both are back beside track 9: it can be only one of them.
      { truth: [at(1, 0), at(2, 0.5)], tracks: [at(9, 0.25)] },
    ];
    const r = motMetrics(frames, 2);
    expect(r.matches).toBe(3);
    expect(r.misses).toBe(1);
  });
});
