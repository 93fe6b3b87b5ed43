import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { make } from '../../../sim/env/registry.ts';

const hash = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('render()', () => {
  it('returns null without a render mode, as Gymnasium does', async () => {
    const env = await make('highway');
    env.reset({ seed: 0 });
    expect(env.render()).toBeNull();
  });

  it('draws a chase-camera RGB image that follows the episode, the same for the same seed', async () => {
    const shots = async (seed: number) => {
      const env = await make('highway', undefined, { renderMode: 'rgb_array', renderSize: [160, 90] });
      env.reset({ seed });
      const first = env.render()!;
      for (let i = 0; i < 10; i++) env.step(Float32Array.of(0, 0.5));
      const later = env.render()!;
      env.close();
      return [first, later];
    };
    const [a0, a1] = await shots(1);
    expect([a0.width, a0.height, a0.data.length]).toEqual([160, 90, 160 * 90 * 3]);
    expect(hash(a0.data)).not.toBe(hash(a1.data));
    const [b0, b1] = await shots(1);
    expect(hash(b0.data)).toBe(hash(a0.data));
    expect(hash(b1.data)).toBe(hash(a1.data));
    // The ego is drawn: the middle of the lower image is its blue body, not road grey.
    const px = (x: number, y: number) => a0.data.subarray((y * 160 + x) * 3, (y * 160 + x) * 3 + 3);
    const [r, g, b] = px(80, 75);
    expect(b).toBeGreaterThan(r + 40);
    expect(b).toBeGreaterThan(g + 20);
  });

  it('refuses a render mode it cannot draw, as Gymnasium does, and names the ones it can', async () => {
    await expect(make('highway', undefined, { renderMode: 'human' as never })).rejects.toThrow('renderMode must be one of "rgb_array" or left out, got "human"');
    await expect(make('highway', undefined, { renderMode: 'rgb_array', renderSize: [0, 90] })).rejects.toThrow('renderSize must be [width, height] in whole pixels from 8 to 4096, got [0,90]');
    const env = await make('highway');
    expect(env.unwrapped.metadata).toEqual({ renderModes: ['rgb_array'], renderFps: 10 });
  });
});
