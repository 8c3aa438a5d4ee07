export * from './plot.js';
export * from './document.js';
export * from './sweep_report.js';
export * from './estimate_report.js';
