/**
 * The names of the shipped architectures and QAT methods, in a module of their own so that the command line
 * can offer them as choices (`lowbit train --help`) without loading the training code.
 */
export const ARCHS = ['tfc', 'sfc', 'lfc', 'cnn', 'cnv'] as const;
export type ArchName = (typeof ARCHS)[number];

export const METHODS = ['dorefa', 'pact', 'lsq', 'bnn', 'ternary'] as const;
export type Method = (typeof METHODS)[number];
