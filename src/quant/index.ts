// Public API of src/quant/ (filled in as the layer lands).
export {};
