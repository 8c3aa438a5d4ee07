// Public API of src/report/ (filled in as the layer lands).
export {};
