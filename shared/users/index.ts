export * from './model.js';
export { Role } from '../program/model.js';
