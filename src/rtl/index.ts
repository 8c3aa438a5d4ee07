// Public API of src/rtl/ (filled in as the layer lands).
export {};
