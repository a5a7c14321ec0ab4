/** The region: its districts, the demo school list and contractors, and the CSV import/export of schools. */
export * from './districts.js';
export * from './prng.js';
export * from './demo-region.js';
export * from './csv.js';
export * from './csv-import.js';
