/**
 * Detection as a stream stage, with bounded concurrency and a stated backpressure policy: at most
 * `concurrency` calls of `detect` run at once; a frame that arrives while all are busy waits in a
 * one-place buffer, and a newer frame replaces it (the older is dropped and counted): a detector
 * slower than the camera falls behind by at most one frame instead of without bound. Results come
 * out as each call ends, with their frame. A failed call ends the stream with its error.
 */
import { from, Observable, Subscription, type ObservableInput, type OperatorFunction } from 'rxjs';

export interface DetectStats {
  /** Frames replaced in the buffer before detection */
  dropped: number;
}

export function detectLatest<F, D>(detect: (frame: F) => ObservableInput<D>, concurrency = 1, stats: DetectStats = { dropped: 0 }): OperatorFunction<F, { frame: F; detections: D }> {
  return (source$) =>
    new Observable<{ frame: F; detections: D }>((subscriber) => {
      let running = 0, sourceDone = false;
      let waiting: { frame: F } | null = null;
      // Calls in flight end with the subscription: none completes into a closed stage or starts another.
      const calls = new Subscription();
      const finishIfDone = () => {
        if (sourceDone && running === 0 && waiting === null) subscriber.complete();
      };
      const start = (frame: F) => {
        running++;
        const call = from(detect(frame)).subscribe({
          next: (detections) => subscriber.next({ frame, detections }),
          error: (err) => subscriber.error(err),
          complete: () => {
            running--;
            calls.remove(call);
            if (waiting && !subscriber.closed) {
              const next = waiting.frame;
              waiting = null;
              start(next);
            }
            finishIfDone();
          },
        });
        if (!call.closed) calls.add(call);
      };
      const sub = source$.subscribe({
        next: (frame) => {
          if (running < concurrency) return start(frame);
          if (waiting) stats.dropped++;
          waiting = { frame };
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          finishIfDone();
        },
      });
      return () => {
        sub.unsubscribe();
        calls.unsubscribe();
      };
    });
}
