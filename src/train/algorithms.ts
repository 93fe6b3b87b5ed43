/** The trainable agents; kept apart from runTraining.ts so naming them does not load tfjs. */
export const ALGORITHMS = ['qlearning', 'dqn', 'reinforce', 'ppo'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
