/** The formats of `viz replay`. */
export const VIZ_REPLAY_FORMATS = ['text', 'mermaid', 'html'] as const;
export type VizReplayFormat = (typeof VIZ_REPLAY_FORMATS)[number];
