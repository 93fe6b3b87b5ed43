/**
 * The browser for browser tests: Debian's Chromium driven by playwright-core (nothing downloads a
 * browser). `.ci/run` installs it with apt-get; where it is missing the tests say so and skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const CHROMIUM = process.env.DRIVELAB_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p)) ?? null;

/** Headless Chromium with WebGL2 on SwiftShader, no GPU and no network side traffic */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no Chromium: install Debian\'s chromium package or set DRIVELAB_CHROMIUM');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
}
