/**
 * Time synchronisation of two sensor streams: each item of the source (e.g. camera frames) is
 * paired with the item of `other$` (e.g. lidar sweeps) nearest to it in sensor time, among those
 * that have arrived, if within `tolerance` seconds; a source item with none is dropped. Items
 * carry their own timestamps [s]; arrival order decides only what is known at the time.
 */
import { Observable, type OperatorFunction } from 'rxjs';

export interface Stamped {
  timestamp: number;
}

export function syncNearest<A extends Stamped, B extends Stamped>(other$: Observable<B>, tolerance: number, keep = 16): OperatorFunction<A, [A, B]> {
  return (source$) =>
    new Observable<[A, B]>((subscriber) => {
      const recent: B[] = [];
      const otherSub = other$.subscribe({
        next: (b) => {
          recent.push(b);
          if (recent.length > keep) recent.shift();
        },
        error: (err) => subscriber.error(err),
      });
      const sourceSub = source$.subscribe({
        next: (a) => {
          let best: B | null = null;
          for (const b of recent) if (Math.abs(b.timestamp - a.timestamp) <= tolerance && (!best || Math.abs(b.timestamp - a.timestamp) < Math.abs(best.timestamp - a.timestamp))) best = b;
          if (best) subscriber.next([a, best]);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sourceSub.unsubscribe();
        otherSub.unsubscribe();
      };
    });
}
