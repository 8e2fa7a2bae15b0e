/** The shared agent ⇄ control-plane contract. */
export * from './topics.ts';
export * from './payloads.ts';
export * from './events.ts';
