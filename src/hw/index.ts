export * from './design.js';
