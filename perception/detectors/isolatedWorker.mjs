// The thread a plug-in detector runs in (see isolated.ts): it loads the module through drivelab's
// loader and answers one message at a time. tsx is registered so the loader runs without a build.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { loadDetector } = await import('./loader.ts');

let detector = null;
const message = (err) => {
  try {
    return String(err?.message ?? err).split('\n')[0].slice(0, 500);
  } catch {
    return 'threw a value that cannot be shown';
  }
};

parentPort.on('message', async (m) => {
  if (m.type === 'load') {
    try {
      detector = await loadDetector(workerData.spec, workerData.options);
      parentPort.postMessage({ type: 'loaded', name: detector.name, classes: detector.classes });
    } catch (err) {
      const text = message(err);
      parentPort.postMessage({ type: 'load-error', message: text.startsWith(workerData.spec) ? text : `${workerData.spec}: ${text}` });
    }
  } else if (m.type === 'detect') {
    try {
      const detections = await detector.detect(m.frame);
      parentPort.postMessage({ type: 'result', id: m.id, detections });
    } catch (err) {
      parentPort.postMessage({ type: 'throw', id: m.id, message: message(err) });
    }
  } else if (m.type === 'dispose') {
    try {
      detector?.dispose();
    } finally {
      parentPort.postMessage({ type: 'disposed' });
    }
  }
});
