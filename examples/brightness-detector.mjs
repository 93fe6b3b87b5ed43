/**
 * An example detector plug-in for drivelab: `npx drivelab ... --detector examples/brightness-detector.mjs`.
 *
 * A plug-in is an ES module that exports `load(options) → Promise<Detector>`. The detector gets
 * camera frames `{ width, height, data, timestamp, cameraId, intrinsics }`, with `data` RGB bytes,
 * row-major from the top-left, and returns detections `{ bbox: [x, y, w, h] in pixels, label,
 * score in [0, 1] }` whose labels are among its `classes`. drivelab checks every result and names
 * the field of a bad one.
 *
 * This one is deliberately simple: it reports the bounding box of pixels much darker than the
 * frame's mean in the lower half of the image (tyres and shadows under cars) as one `vehicle`.
 */
export async function load(options = {}) {
  const threshold = options.threshold ?? 0.5;
  return {
    name: 'brightness',
    classes: ['vehicle'],
    async detect(frame) {
      const { width, height, data } = frame;
      let mean = 0;
      for (let i = 0; i < data.length; i += 3) mean += (data[i] + data[i + 1] + data[i + 2]) / 3;
      mean /= width * height;
      let x0 = width, y0 = height, x1 = -1, y1 = -1;
      for (let y = height >> 1; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const p = (y * width + x) * 3;
          if ((data[p] + data[p + 1] + data[p + 2]) / 3 < threshold * mean) {
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
          }
        }
      }
      return x1 < 0 ? [] : [{ bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], label: 'vehicle', score: 0.3 }];
    },
    dispose() {},
  };
}
