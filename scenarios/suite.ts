/**
 * Benchmark suites: which scenarios, on which test seeds, how many episodes each. A suite says
 * which seeds are for training and which for testing, and the two ranges must not overlap, so a
 * benchmark never scores an agent on an episode it could have trained on.
 */
import { z } from 'zod';
import { formatIssues, parseDocument, ScenarioError } from './parse.ts';

/** An inclusive range of seeds, [first, last] */
const SeedRange = z
  .tuple([z.number().int().min(0), z.number().int().min(0)])
  .refine(([a, b]) => a <= b, { message: 'expected [first, last] with first ≤ last' });

export const SuiteEntry = z.strictObject({
  /** A built-in scenario id, or a scenario file path (relative to the suite file) */
  scenario: z.string().min(1),
  /** Scenario fields to change for this entry */
  overrides: z.record(z.string(), z.unknown()).optional(),
  /** Episodes for this entry; defaults to the suite's `episodes` */
  episodes: z.number().int().min(1).max(10_000).optional(),
});

export const Suite = z
  .strictObject({
    version: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lower-case letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    scenarios: z.array(z.union([z.string().min(1), SuiteEntry])).min(1),
    seeds: z.strictObject({
      /** Seeds agents may train on */
      train: SeedRange,
      /** Seeds episodes are scored on; episode k of an entry uses test seed first + k */
      test: SeedRange,
    }),
    /** Episodes per scenario; at most the number of test seeds */
    episodes: z.number().int().min(1).max(10_000).default(10),
  })
  .superRefine((s, ctx) => {
    const [t0, t1] = s.seeds.train;
    const [e0, e1] = s.seeds.test;
    if (t0 <= e1 && e0 <= t1) ctx.addIssue({ code: 'custom', path: ['seeds', 'test'], message: `expected test seeds disjoint from the training seeds [${t0}, ${t1}], got [${e0}, ${e1}]` });
    const available = e1 - e0 + 1;
    if (s.episodes > available) ctx.addIssue({ code: 'custom', path: ['episodes'], message: `expected at most ${available} episodes (one per test seed), got ${s.episodes}` });
    s.scenarios.forEach((entry, i) => {
      if (typeof entry !== 'string' && entry.episodes !== undefined && entry.episodes > available) {
        ctx.addIssue({ code: 'custom', path: ['scenarios', i, 'episodes'], message: `expected at most ${available} episodes (one per test seed), got ${entry.episodes}` });
      }
    });
  });

export type Suite = z.infer<typeof Suite>;
export type SuiteEntry = z.infer<typeof SuiteEntry>;

export function parseSuite(text: string, source: string): Suite {
  const data = parseDocument(text, source);
  const result = Suite.safeParse(data, { reportInput: true });
  if (!result.success) throw new ScenarioError(formatIssues(source, result.error));
  return result.data;
}
