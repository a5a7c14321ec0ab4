export * from './model.js';
export * from './plan.js';
export * from './load-program.js';
export * from './targets.js';
export * from './reference-program.js';
