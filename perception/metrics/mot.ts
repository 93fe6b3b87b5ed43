/**
 * Multi-object tracking metrics against ground truth, frame by frame in the plane:
 * - CLEAR MOT (Bernardin & Stiefelhagen 2008): a ground-truth object and a track correspond when
 *   within `threshold` metres; last frame's correspondences are kept while they hold, the rest
 *   are matched by the Hungarian method on distance. MOTA = 1 − (misses + false positives + id
 *   switches) / ground-truth objects; MOTP = mean distance of the matches [m].
 * - IDF1 (Ristani et al. 2016): each ground-truth trajectory is paired with at most one track
 *   for the whole sequence, so as to maximise the frames where the two are within the threshold
 *   (IDTP); IDF1 = 2·IDTP / (2·IDTP + IDFP + IDFN).
 * A frame may list objects to ignore (KITTI's "don't care"): present but not to be counted, e.g.
 * hidden from every sensor. A track that corresponds to no counted object but lies within the
 * threshold of an ignored one is left out of that frame altogether, neither a match nor a false
 * positive.
 */
import { munkres } from 'munkres';
import { associate } from '../fusion/associate.ts';

export interface MotObject {
  id: number;
  position: readonly [number, number];
}

export interface MotFrame {
  truth: MotObject[];
  tracks: MotObject[];
  /** Objects neither to be found nor to be counted against a track near them */
  ignore?: MotObject[];
}

export interface MotResult {
  mota: number;
  /** Mean distance of matched pairs [m]; NaN with no match */
  motp: number;
  idf1: number;
  objects: number;
  misses: number;
  falsePositives: number;
  idSwitches: number;
  matches: number;
}

const dist = (a: MotObject, b: MotObject) => Math.hypot(a.position[0] - b.position[0], a.position[1] - b.position[1]);

export function motMetrics(frames: readonly MotFrame[], threshold = 2): MotResult {
  let objects = 0, misses = 0, falsePositives = 0, idSwitches = 0, matches = 0, distanceSum = 0;
  /** Ground-truth id → the track id it was last matched to */
  const last = new Map<number, number>();
  /** Frames in which ground truth g and track h are within the threshold, keyed `g h` */
  const together = new Map<string, number>();
  const gtCount = new Map<number, number>(), trackCount = new Map<number, number>();
  for (const { truth, tracks, ignore = [] } of frames) {
    objects += truth.length;
    for (const g of truth) gtCount.set(g.id, (gtCount.get(g.id) ?? 0) + 1);
    // Correspondences of the last frame that still hold are kept.
    const pairs: [MotObject, MotObject][] = [];
    const gtFree = new Set(truth), trackFree = new Set(tracks);
    for (const g of truth) {
      const h = tracks.find((t) => t.id === last.get(g.id));
      if (h && trackFree.has(h) && dist(g, h) <= threshold) {
        pairs.push([g, h]);
        gtFree.delete(g);
        trackFree.delete(h);
      }
    }
    const gs = [...gtFree], hs = [...trackFree];
    const { matches: found } = associate(gs.map((g) => hs.map((h) => dist(g, h))), threshold, hs.length);
    for (const [r, c] of found) {
      const g = gs[r], h = hs[c];
      if (last.has(g.id) && last.get(g.id) !== h.id) idSwitches++;
      pairs.push([g, h]);
    }
    for (const [g, h] of pairs) {
      last.set(g.id, h.id);
      distanceSum += dist(g, h);
    }
    // Unmatched tracks on an ignored object drop out of the frame, for IDF1 as well.
    const ignored = new Set([...trackFree].filter((h) => !pairs.some(([, p]) => p === h) && ignore.some((g) => dist(g, h) <= threshold)));
    for (const h of tracks) {
      if (ignored.has(h)) continue;
      trackCount.set(h.id, (trackCount.get(h.id) ?? 0) + 1);
      for (const g of truth) if (dist(g, h) <= threshold) together.set(`${g.id} ${h.id}`, (together.get(`${g.id} ${h.id}`) ?? 0) + 1);
    }
    matches += pairs.length;
    misses += truth.length - pairs.length;
    falsePositives += tracks.length - ignored.size - pairs.length;
  }
  // IDF1: the one-to-one pairing of trajectories with the most frames together.
  const gIds = [...gtCount.keys()], hIds = [...trackCount.keys()];
  let idtp = 0;
  if (gIds.length > 0 && hIds.length > 0) {
    const weight = gIds.map((g) => hIds.map((h) => together.get(`${g} ${h}`) ?? 0));
    for (const [r, c] of munkres(weight.map((row) => row.map((w) => -w)))) idtp += weight[r][c];
  }
  const gtTotal = [...gtCount.values()].reduce((a, b) => a + b, 0), trackTotal = [...trackCount.values()].reduce((a, b) => a + b, 0);
  const idfn = gtTotal - idtp, idfp = trackTotal - idtp;
  return {
    mota: objects === 0 ? NaN : 1 - (misses + falsePositives + idSwitches) / objects,
    motp: matches === 0 ? NaN : distanceSum / matches,
    idf1: 2 * idtp + idfp + idfn === 0 ? NaN : (2 * idtp) / (2 * idtp + idfp + idfn),
    objects,
    misses,
    falsePositives,
    idSwitches,
    matches,
  };
}
