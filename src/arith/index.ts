export * from './modes.js';
