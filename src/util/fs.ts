// Safe file and folder outputs live in fsafe.ts; this module name is kept for existing imports.
export { writeFileAtomic, writeDirAtomic } from './fsafe.js';
