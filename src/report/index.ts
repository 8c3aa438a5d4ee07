export * from './plot.js';
export * from './document.js';
