// Public API of src/train/ (filled in as the layer lands).
export {};
