import { describe, expect, it } from 'vitest';
import { cocoEvaluate, cocoEvaluateSlices, iou, type CocoDetection, type CocoGroundTruth } from '../../perception/metrics/cocoEval.ts';

const CATS = [{ id: 1, name: 'vehicle' }, { id: 2, name: 'pedestrian' }];
const gtOf = (annotations: CocoGroundTruth['annotations'], images = [1]): CocoGroundTruth => ({ images: images.map((id) => ({ id })), annotations, categories: CATS });
const det = (image_id: number, category_id: number, bbox: [number, number, number, number], score: number): CocoDetection => ({ image_id, category_id, bbox, score });

describe('COCO box AP, against answers worked out by hand', () => {
  it('IoU of two boxes', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
  });

  it('perfect detections score 1 everywhere; a category without ground truth is left out of the mean', () => {
    const gt = gtOf([{ image_id: 1, category_id: 1, bbox: [10, 10, 50, 40], area: 2000 }]);
    const r = cocoEvaluate(gt, [det(1, 1, [10, 10, 50, 40], 0.9)]);
    expect([r.ap, r.ap50, r.ap75, r.apMedium]).toEqual([1, 1, 1, 1]);
    expect(r.apSmall).toBeNaN();
    expect(r.perClass.pedestrian.ap).toBeNaN();
  });

  it('a detection keeps its real match though ignored ground truth overlaps it more, as pycocotools matches', () => {
    // The real object at IoU 0.6 with the detection, an ignored one at IoU 0.9: pycocotools tries
    // real ground truth first and stops at ignored once it has a match, so the object is found.
    const gt = gtOf([
      { image_id: 1, category_id: 1, bbox: [0, 0, 100, 100], area: 10_000, ignore: true },
      { image_id: 1, category_id: 1, bbox: [0, 0, 100, 60], area: 6_000 },
    ]);
    const d = det(1, 1, [0, 0, 100, 90], 1);
    expect(iou(d.bbox, gt.annotations[0].bbox)).toBeCloseTo(0.9, 12);
    expect(iou(d.bbox, gt.annotations[1].bbox)).toBeCloseTo(60 / 90, 12);
    expect(cocoEvaluate(gt, [d]).ap50).toBe(1);
    // Listed in the other order, the same (ignored ground truth is sorted last).
    expect(cocoEvaluate({ ...gt, annotations: [...gt.annotations].reverse() }, [d]).ap50).toBe(1);
    // A detection matching only ignored ground truth is neither a hit nor a false positive.
    const extra = det(1, 1, [0, 0, 100, 100], 0.99);
    expect(cocoEvaluate(gt, [extra, { ...d, score: 0.5 }]).ap50).toBe(1);
  });

  it('an object of area exactly 32² counts as small and as medium, as pycocotools bounds its ranges', () => {
    const gt = gtOf([{ image_id: 1, category_id: 1, bbox: [0, 0, 32, 32], area: 1024 }]);
    const r = cocoEvaluate(gt, [det(1, 1, [0, 0, 32, 32], 1)]);
    expect([r.apSmall, r.apMedium]).toEqual([1, 1]);
    expect(r.apLarge).toBeNaN();
  });

  it('one match at IoU 0.6 counts at the thresholds 0.50, 0.55 and 0.60 only: AP 0.3, AP50 1, AP75 0', () => {
    const gt = gtOf([{ image_id: 1, category_id: 1, bbox: [0, 0, 100, 100], area: 10_000 }]);
    // The top 60 rows of the 100 × 100 box: IoU 6000 / 10000.
    const exact = det(1, 1, [0, 0, 100, 60], 1);
    expect(iou(exact.bbox, gt.annotations[0].bbox)).toBeCloseTo(0.6, 12);
    const r = cocoEvaluate(gt, [exact]);
    expect(r.ap).toBeCloseTo(0.3, 12);
    expect(r.ap50).toBe(1);
    expect(r.ap75).toBe(0);
  });

  it('a higher-scored false positive before the one true positive of two: precision 0.5 up to recall 0.5, so AP = 0.5 · 51/101', () => {
    const gt = gtOf([
      { image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], area: 1600 },
      { image_id: 1, category_id: 1, bbox: [100, 100, 40, 40], area: 1600 },
    ]);
    const r = cocoEvaluate(gt, [det(1, 1, [300, 300, 40, 40], 0.9), det(1, 1, [0, 0, 40, 40], 0.8)]);
    expect(r.ap).toBeCloseTo((0.5 * 51) / 101, 12);
    // Scored the other way round, precision is 1 up to recall 0.5: AP = 51/101.
    const flipped = cocoEvaluate(gt, [det(1, 1, [300, 300, 40, 40], 0.7), det(1, 1, [0, 0, 40, 40], 0.8)]);
    expect(flipped.ap).toBeCloseTo(51 / 101, 12);
  });

  it('pools detections of all images by score, and averages categories', () => {
    const gt = gtOf([
      { image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], area: 1600 },
      { image_id: 2, category_id: 1, bbox: [0, 0, 40, 40], area: 1600 },
      { image_id: 2, category_id: 2, bbox: [50, 50, 10, 30], area: 300 },
    ], [1, 2]);
    // Vehicles: TP (0.9, image 1), FP (0.8, image 2), TP (0.7, image 2). Precision 1, 0.5, 2/3 → monotone 1, 2/3, 2/3 at recall 0.5, 0.5, 1.
    // Pedestrians: none found, AP 0.
    const r = cocoEvaluate(gt, [det(1, 1, [0, 0, 40, 40], 0.9), det(2, 1, [200, 0, 40, 40], 0.8), det(2, 1, [0, 0, 40, 40], 0.7)]);
    const vehicle = (51 * 1 + 50 * (2 / 3)) / 101;
    expect(r.perClass.vehicle.ap).toBeCloseTo(vehicle, 12);
    expect(r.perClass.pedestrian.ap).toBe(0);
    expect(r.ap).toBeCloseTo(vehicle / 2, 12);
    // By size: the pedestrian (area 300) is the only small object; the vehicles are medium.
    expect(r.apSmall).toBe(0);
    expect(r.apMedium).toBeCloseTo(vehicle, 12);
    expect(r.apLarge).toBeNaN();
  });

  it('keeps the 100 best-scored detections of an image per category', () => {
    const gt = gtOf([{ image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], area: 1600 }]);
    const noise = Array.from({ length: 100 }, (_, i) => det(1, 1, [500 + i, 500, 10, 10], 0.9));
    expect(cocoEvaluate(gt, [...noise, det(1, 1, [0, 0, 40, 40], 0.5)]).ap).toBe(0);
    expect(cocoEvaluate(gt, [...noise.slice(1), det(1, 1, [0, 0, 40, 40], 0.5)]).ap).toBeCloseTo(1 / 100, 12);
  });

  it('slices by any value both sides carry, ignoring what falls outside a slice', () => {
    const gt = { ...gtOf([]), annotations: [
      { image_id: 1, category_id: 1, bbox: [0, 0, 40, 40] as [number, number, number, number], area: 1600, distance: 10 },
      { image_id: 1, category_id: 1, bbox: [100, 0, 10, 10] as [number, number, number, number], area: 100, distance: 50 },
    ] };
    const dt = [{ ...det(1, 1, [0, 0, 40, 40], 0.9), distance: 10 }, { ...det(1, 1, [300, 0, 10, 10], 0.8), distance: 60 }];
    const r = cocoEvaluateSlices(gt, dt, { near: [0, 20], far: [20, 100], beyond: [100, 1000] }, (a) => a.distance, (d) => d.distance);
    // Near: one object, found; the far false positive is not near's business. Far: one object missed, one false positive.
    expect(r).toEqual({ near: 1, far: 0, beyond: NaN });
  });

  it('orders detections of equal score by image id, as pycocotools does, whatever the order of the images in the file', () => {
    const ann = (image_id: number) => ({ image_id, category_id: 1, bbox: [0, 0, 100, 100] as [number, number, number, number], area: 10_000 });
    const dets = [det(1, 1, [0, 0, 100, 100], 0.5), det(2, 1, [500, 0, 100, 100], 0.5), det(2, 1, [0, 0, 100, 100], 0.4)];
    // By image id: hit (image 1), miss (image 2), hit: precision 1, 1/2, 2/3 → 1 up to recall 0.5, 2/3 to 1.
    const want = (51 + 50 * (2 / 3)) / 101;
    expect(cocoEvaluate({ images: [{ id: 2 }, { id: 1 }], annotations: [ann(2), ann(1)], categories: CATS }, dets).ap).toBeCloseTo(want, 12);
    expect(cocoEvaluate({ images: [{ id: 1 }, { id: 2 }], annotations: [ann(1), ann(2)], categories: CATS }, dets).ap).toBeCloseTo(want, 12);
  });

  it('counts a match at IoU exactly 0.85 at the 0.85 threshold', () => {
    const gt = gtOf([{ image_id: 1, category_id: 1, bbox: [0, 0, 100, 100], area: 10_000 }]);
    // Thresholds 0.50 … 0.85 are met, 0.90 and 0.95 not: 8 of 10.
    expect(cocoEvaluate(gt, [det(1, 1, [0, 0, 85, 100], 1)]).ap).toBeCloseTo(0.8, 12);
  });

  it('puts detections at no finite distance (on the sky) in the open-ended distance slice', () => {
    const gt = { ...gtOf([]), annotations: [{ image_id: 1, category_id: 1, bbox: [0, 0, 40, 40] as [number, number, number, number], area: 1600, distance: 90 }] };
    const dt = [{ ...det(1, 1, [0, 0, 40, 40], 0.5), distance: 90 }, { ...det(1, 1, [300, 0, 10, 10], 0.9), distance: Infinity }];
    // The false positive on the sky outranks the hit: precision 0.5 at recall 1.
    expect(cocoEvaluateSlices(gt, dt, { far: [80, Infinity] }, (a) => a.distance, (d) => d.distance).far).toBeCloseTo(0.5, 12);
  });
});
