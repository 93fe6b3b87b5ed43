/**
 * Where an NPC vehicle may be put on a lane, at reset or when it re-enters the road: never where
 * another body is, and never closer than a spacing to the vehicles of its own lane.
 */
import { NO_LANE, type Lane } from '../road/RoadNetwork.ts';
import type { Rng } from '../rng.ts';
import type { Actor } from '../world/actors.ts';
import { footprintsOverlap, type Footprint } from '../world/footprint.ts';

/** Smallest centre distance between vehicles placed on the same lane [m] */
export const SPAWN_GAP = 12;
/** Smallest centre distance to the actors kept clear at reset (the ego) [m] */
export const KEEP_CLEAR_GAP = 20;
/** Free margin around a placed body against bodies on other lanes [m] */
const SIDE_MARGIN = 0.5;
/** Random tries before scanning the lanes for room */
const RANDOM_TRIES = 30;
/** Step of the scan for room [m] */
const SCAN_STEP = 2;
/** Distance kept from the ends of a spawn lane [m] */
const END_MARGIN = 8;

const _spot: Footprint = { x: 0, y: 0, heading: 0, length: 0, width: 0 };
const _pt = { x: 0, y: 0 };

/**
 * Whether a body of `self`'s size centred at arc length `s` on `lane` is clear: at least `laneGap`
 * from every other active vehicle on that lane (by arc length), at least `keepClearGap` from every
 * actor in `keepClear`, and overlapping no active body in `others` with a margin.
 */
export function spotIsClear(self: Actor, lane: Lane, s: number, others: readonly Actor[], laneGap: number, keepClear: readonly Actor[] = []): boolean {
  const p = lane.path.pointAt(s, _pt);
  _spot.x = p.x;
  _spot.y = p.y;
  _spot.heading = lane.path.headingAt(s);
  _spot.length = self.length;
  _spot.width = self.width;
  for (const o of keepClear) {
    if (o !== self && Math.hypot(o.x - p.x, o.y - p.y) < KEEP_CLEAR_GAP) return false;
  }
  for (let k = 0; k < others.length; k++) {
    const o = others[k];
    if (o === self || !o.active) continue;
    if (o.lane === lane.id && o.kind !== 'pedestrian' && Math.abs(o.s - s) < laneGap) return false;
    if (footprintsOverlap(_spot, o, SIDE_MARGIN)) return false;
  }
  return true;
}

/** Puts `self` on `lane` at `s`: pose, lane and Frenet coordinates. */
export function placeOnLane(self: Actor, lane: Lane, s: number): void {
  const p = lane.path.pointAt(s, _pt);
  self.x = p.x;
  self.y = p.y;
  self.heading = lane.path.headingAt(s);
  self.lane = lane.id;
  self.s = s;
  self.d = 0;
  self.lane2 = NO_LANE;
}

/**
 * A clear spot on the spawn lanes for `self`, drawn at random; when random tries keep failing
 * the lanes are scanned for room. Returns false when no clear spot is left.
 */
export function placeRandomly(self: Actor, lanes: readonly Lane[], others: readonly Actor[], keepClear: readonly Actor[], rng: Rng): boolean {
  let total = 0;
  for (const l of lanes) total += l.path.length;
  for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
    let pick = rng.uniform(0, total);
    let lane = lanes[0];
    for (const l of lanes) {
      lane = l;
      if (pick < l.path.length) break;
      pick -= l.path.length;
    }
    const [lo, hi] = spawnRange(lane);
    const s = rng.uniform(lo, hi);
    if (spotIsClear(self, lane, s, others, SPAWN_GAP, keepClear)) {
      placeOnLane(self, lane, s);
      return true;
    }
  }
  // Dense traffic: scan the lanes and take one of the spots that start a free stretch, drawn at
  // random. Packing against a neighbour leaves the rest of the stretch usable, where a random
  // spot in the middle would waste it (random placement alone jams at about 3/4 of capacity).
  const count = scanEdges(self, lanes, others, keepClear, -1);
  if (count === 0) return false;
  scanEdges(self, lanes, others, keepClear, rng.int(0, count - 1));
  return true;
}

/**
 * Walks the lanes in steps and counts the clear spots whose previous step was not clear; with
 * `take` ≥ 0, places `self` at the spot of that index instead. Returns the count.
 */
function scanEdges(self: Actor, lanes: readonly Lane[], others: readonly Actor[], keepClear: readonly Actor[], take: number): number {
  let count = 0;
  for (const lane of lanes) {
    const [lo, hi] = spawnRange(lane);
    let previousClear = false;
    for (let s = lo; s <= hi; s += SCAN_STEP) {
      const clear = spotIsClear(self, lane, s, others, SPAWN_GAP, keepClear);
      if (clear && !previousClear) {
        if (count === take) {
          placeOnLane(self, lane, s);
          return count;
        }
        count++;
      }
      previousClear = clear;
    }
  }
  return count;
}

/** A place for a vehicle: a lane and an arc length on it [m]. */
export interface Slot {
  lane: Lane;
  s: number;
}

/**
 * Up to `count` slots spread over the lanes at random, at least SPAWN_GAP apart on each lane, as
 * many as the lanes hold: each vehicle picks a lane with probability proportional to the room
 * left on it, and the free length of a lane is cut into random shares between its vehicles (the
 * spacing of a Poisson stream with a minimum headway). Other bodies are not looked at here.
 */
export function spreadSlots(lanes: readonly Lane[], count: number, rng: Rng): Slot[] {
  const capacity = lanes.map((lane) => {
    const [lo, hi] = spawnRange(lane);
    return Math.floor((hi - lo) / SPAWN_GAP) + 1;
  });
  const assigned = lanes.map(() => 0);
  let room = capacity.reduce((a, b) => a + b, 0);
  for (let i = 0; i < count && room > 0; i++, room--) {
    let pick = rng.int(0, room - 1);
    let l = 0;
    while (pick >= capacity[l] - assigned[l]) {
      pick -= capacity[l] - assigned[l];
      l++;
    }
    assigned[l]++;
  }
  const slots: Slot[] = [];
  lanes.forEach((lane, l) => {
    const m = assigned[l];
    if (m === 0) return;
    const [lo, hi] = spawnRange(lane);
    const slack = hi - lo - (m - 1) * SPAWN_GAP;
    // m + 1 exponential shares of the slack: before the first vehicle, between each pair, after the last.
    const shares = Array.from({ length: m + 1 }, () => -Math.log(1 - rng.next()));
    const sum = shares.reduce((a, b) => a + b, 0);
    let at = lo;
    for (let k = 0; k < m; k++) {
      at += (slack * shares[k]) / sum;
      slots.push({ lane, s: at + k * SPAWN_GAP });
    }
  });
  return slots;
}

/** Arc lengths on a lane where a vehicle may be placed [m]. */
function spawnRange(lane: Lane): [number, number] {
  const len = lane.path.length;
  return [Math.min(END_MARGIN, len / 2), Math.max(len - END_MARGIN, len / 2)];
}
